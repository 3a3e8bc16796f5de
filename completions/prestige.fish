# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_prestige_global_optspecs
    string join \n format= v/verbose q/quiet no-progress endpoint-url= region= profile= catalog= warehouse= h/help V/version
end

function __fish_prestige_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_prestige_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_prestige_using_subcommand
    set -l cmd (__fish_prestige_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c prestige -n "__fish_prestige_needs_command" -l format -d 'Report format [default: table on a terminal, json otherwise]' -r -f -a "table\t'A human-readable table (default when stdout is a terminal)'
json\t'One pretty-printed JSON document (default when stdout is not a terminal)'
ndjson\t'The same document on a single line (scan: one JSON object per row)'
csv\t'Comma-separated values with a header (scan only)'
parquet\t'A Parquet file (scan only; with --out FILE or a redirected stdout)'"
complete -c prestige -n "__fish_prestige_needs_command" -l endpoint-url -d 'S3 endpoint for S3-compatible stores (implies path-style addressing)' -r
complete -c prestige -n "__fish_prestige_needs_command" -l region -d 'AWS region [default: from the AWS config chain, else us-east-1]' -r
complete -c prestige -n "__fish_prestige_needs_command" -l profile -d 'AWS profile from ~/.aws/config and ~/.aws/credentials' -r
complete -c prestige -n "__fish_prestige_needs_command" -l catalog -d 'Iceberg catalog: a name from the config file, `sqlite:///path.db`, or a REST `http(s)://` URI [default: the config file\'s default-catalog, else sqlite ./warehouse/catalog.db]' -r
complete -c prestige -n "__fish_prestige_needs_command" -l warehouse -d 'Iceberg warehouse: where new tables go (a directory, file:// or s3:// location; for REST, the catalog\'s warehouse name) [default: from the catalog\'s config, else ./warehouse]' -r
complete -c prestige -n "__fish_prestige_needs_command" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c prestige -n "__fish_prestige_needs_command" -s q -l quiet -d 'Only errors on stderr'
complete -c prestige -n "__fish_prestige_needs_command" -l no-progress -d 'Never show progress bars'
complete -c prestige -n "__fish_prestige_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c prestige -n "__fish_prestige_needs_command" -s V -l version -d 'Print version'
complete -c prestige -n "__fish_prestige_needs_command" -f -a "ingest" -d 'Load NDJSON into rotating Parquet files in a local directory or on S3, or append it to an Iceberg table'
complete -c prestige -n "__fish_prestige_needs_command" -f -a "upload" -d 'Upload finished files to S3: concurrent, multipart, retried, verified'
complete -c prestige -n "__fish_prestige_needs_command" -f -a "compact" -d 'Merge a prefix\'s small Parquet files into target-sized files, crash-safely'
complete -c prestige -n "__fish_prestige_needs_command" -f -a "scan" -d 'Read Parquet files (local or S3) or an Iceberg table (--table): projection, SQL filters, time travel'
complete -c prestige -n "__fish_prestige_needs_command" -f -a "watch" -d 'Poll a local directory or S3 prefix and print one NDJSON event per new file'
complete -c prestige -n "__fish_prestige_needs_command" -f -a "table" -d 'Iceberg tables: list, show, create, drop, set properties'
complete -c prestige -n "__fish_prestige_needs_command" -f -a "snapshot" -d 'Iceberg snapshots: list a branch\'s snapshots, show one, list refs'
complete -c prestige -n "__fish_prestige_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c prestige -n "__fish_prestige_needs_command" -f -a "generate-assets" -d 'Write completions and man pages into a directory (used to refresh completions/ and man/)'
complete -c prestige -n "__fish_prestige_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c prestige -n "__fish_prestige_using_subcommand ingest" -l to -d 'Destination: a local directory or s3://bucket/dir' -r
complete -c prestige -n "__fish_prestige_using_subcommand ingest" -l table -d 'Append to this Iceberg table (NAMESPACE.TABLE) of the catalog (--catalog) instead of writing files' -r
complete -c prestige -n "__fish_prestige_using_subcommand ingest" -l partition-by -d 'With --create: partition spec, e.g. "day(ts), bucket(16, id), truncate(4, name), region"' -r
complete -c prestige -n "__fish_prestige_using_subcommand ingest" -l sort-by -d 'With --create: sort order, e.g. "ts desc nulls last, id"' -r
complete -c prestige -n "__fish_prestige_using_subcommand ingest" -l identifier -d 'With --create: identifier (primary key) columns, comma-separated' -r
complete -c prestige -n "__fish_prestige_using_subcommand ingest" -l property -d 'With --create: a table property K=V (repeatable)' -r
complete -c prestige -n "__fish_prestige_using_subcommand ingest" -l commit-interval -d 'Commit at least this often while input keeps arriving (same as --max-age for a table)' -r
complete -c prestige -n "__fish_prestige_using_subcommand ingest" -l max-open-files -d 'Most partition files open at once; past it the least recently used is finished and committed next' -r
complete -c prestige -n "__fish_prestige_using_subcommand ingest" -l prefix -d 'File name prefix: files are named PREFIX.{timestamp_millis}.{writer}-{seq}.parquet (may contain `/`)' -r
complete -c prestige -n "__fish_prestige_using_subcommand ingest" -l schema -d 'Schema file (JSON, see README); without it the schema is inferred from the first lines' -r -F
complete -c prestige -n "__fish_prestige_using_subcommand ingest" -l infer-rows -d 'Lines used to infer the schema when --schema is not given' -r
complete -c prestige -n "__fish_prestige_using_subcommand ingest" -l max-rows -d 'Close a file after this many rows' -r
complete -c prestige -n "__fish_prestige_using_subcommand ingest" -l max-bytes -d 'Close a file when it reaches about this size on disk (e.g. 128MiB)' -r
complete -c prestige -n "__fish_prestige_using_subcommand ingest" -l max-age -d 'Close a file open this long even when no new input arrives (e.g. 30s, 5m)' -r
complete -c prestige -n "__fish_prestige_using_subcommand ingest" -l compression -d 'Parquet compression: zstd[:level], snappy, gzip[:level], lz4, none [default: zstd; for a table, its write.parquet.compression-codec and -level]' -r
complete -c prestige -n "__fish_prestige_using_subcommand ingest" -l row-group-rows -d 'Rows per Parquet row group' -r
complete -c prestige -n "__fish_prestige_using_subcommand ingest" -l on-error -d 'What to do with a line that cannot be loaded' -r -f -a "fail\t'Stop at the first bad line, naming file and line (rows before it are kept)'
skip\t'Drop bad lines and count them in the report'
dead-letter\t'Write bad lines to --dead-letter as NDJSON {file, line, error, raw} and count them'"
complete -c prestige -n "__fish_prestige_using_subcommand ingest" -l dead-letter -d 'Dead-letter file (NDJSON); implies --on-error dead-letter' -r -F
complete -c prestige -n "__fish_prestige_using_subcommand ingest" -l max-line-bytes -d 'Longest accepted line' -r
complete -c prestige -n "__fish_prestige_using_subcommand ingest" -l state-dir -d 'Where resume journals (and S3 staging files) are kept [default: $XDG_STATE_HOME/prestige or ~/.local/state/prestige]' -r -F
complete -c prestige -n "__fish_prestige_using_subcommand ingest" -l max-bad-lines -d 'Fail (exit 4, input not marked done) when more lines than this are bad: a count, or a percentage of the lines read (e.g. 100 or 0.5%); only with --on-error skip or dead-letter' -r
complete -c prestige -n "__fish_prestige_using_subcommand ingest" -l upload-concurrency -d 'Files uploaded to S3 at once while the next file is written' -r
complete -c prestige -n "__fish_prestige_using_subcommand ingest" -l part-size -d 'Multipart part size for S3 uploads' -r
complete -c prestige -n "__fish_prestige_using_subcommand ingest" -l threads -d 'Decoding threads [default: number of cores]; columns are encoded on two threads per core' -r
complete -c prestige -n "__fish_prestige_using_subcommand ingest" -l format -d 'Report format [default: table on a terminal, json otherwise]' -r -f -a "table\t'A human-readable table (default when stdout is a terminal)'
json\t'One pretty-printed JSON document (default when stdout is not a terminal)'
ndjson\t'The same document on a single line (scan: one JSON object per row)'
csv\t'Comma-separated values with a header (scan only)'
parquet\t'A Parquet file (scan only; with --out FILE or a redirected stdout)'"
complete -c prestige -n "__fish_prestige_using_subcommand ingest" -l endpoint-url -d 'S3 endpoint for S3-compatible stores (implies path-style addressing)' -r
complete -c prestige -n "__fish_prestige_using_subcommand ingest" -l region -d 'AWS region [default: from the AWS config chain, else us-east-1]' -r
complete -c prestige -n "__fish_prestige_using_subcommand ingest" -l profile -d 'AWS profile from ~/.aws/config and ~/.aws/credentials' -r
complete -c prestige -n "__fish_prestige_using_subcommand ingest" -l catalog -d 'Iceberg catalog: a name from the config file, `sqlite:///path.db`, or a REST `http(s)://` URI [default: the config file\'s default-catalog, else sqlite ./warehouse/catalog.db]' -r
complete -c prestige -n "__fish_prestige_using_subcommand ingest" -l warehouse -d 'Iceberg warehouse: where new tables go (a directory, file:// or s3:// location; for REST, the catalog\'s warehouse name) [default: from the catalog\'s config, else ./warehouse]' -r
complete -c prestige -n "__fish_prestige_using_subcommand ingest" -l create -d 'Create the table (and its namespace) if it does not exist, with --schema or the inferred schema'
complete -c prestige -n "__fish_prestige_using_subcommand ingest" -l evolve-schema -d 'Add new keys of the input (--schema, or the first lines of the first file) as new optional columns, and widen int→long, float→double, decimal precision; committed before the data. Never drops or renames'
complete -c prestige -n "__fish_prestige_using_subcommand ingest" -l restart -d 'Forget an earlier run of the same inputs and ingest them again from the start; refused while files of that run are still at the destination (their rows would be written twice) unless --force is given'
complete -c prestige -n "__fish_prestige_using_subcommand ingest" -l force -d 'With --restart: start over even though files of the earlier run are still at the destination'
complete -c prestige -n "__fish_prestige_using_subcommand ingest" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c prestige -n "__fish_prestige_using_subcommand ingest" -s q -l quiet -d 'Only errors on stderr'
complete -c prestige -n "__fish_prestige_using_subcommand ingest" -l no-progress -d 'Never show progress bars'
complete -c prestige -n "__fish_prestige_using_subcommand ingest" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c prestige -n "__fish_prestige_using_subcommand ingest" -s V -l version -d 'Print version'
complete -c prestige -n "__fish_prestige_using_subcommand upload" -l to -d 'Destination: s3://bucket/dir (a local directory works too)' -r
complete -c prestige -n "__fish_prestige_using_subcommand upload" -l part-size -d 'Files larger than this are uploaded in parts of this size' -r
complete -c prestige -n "__fish_prestige_using_subcommand upload" -l concurrency -d 'Parts and files in flight at once' -r
complete -c prestige -n "__fish_prestige_using_subcommand upload" -l format -d 'Report format [default: table on a terminal, json otherwise]' -r -f -a "table\t'A human-readable table (default when stdout is a terminal)'
json\t'One pretty-printed JSON document (default when stdout is not a terminal)'
ndjson\t'The same document on a single line (scan: one JSON object per row)'
csv\t'Comma-separated values with a header (scan only)'
parquet\t'A Parquet file (scan only; with --out FILE or a redirected stdout)'"
complete -c prestige -n "__fish_prestige_using_subcommand upload" -l endpoint-url -d 'S3 endpoint for S3-compatible stores (implies path-style addressing)' -r
complete -c prestige -n "__fish_prestige_using_subcommand upload" -l region -d 'AWS region [default: from the AWS config chain, else us-east-1]' -r
complete -c prestige -n "__fish_prestige_using_subcommand upload" -l profile -d 'AWS profile from ~/.aws/config and ~/.aws/credentials' -r
complete -c prestige -n "__fish_prestige_using_subcommand upload" -l catalog -d 'Iceberg catalog: a name from the config file, `sqlite:///path.db`, or a REST `http(s)://` URI [default: the config file\'s default-catalog, else sqlite ./warehouse/catalog.db]' -r
complete -c prestige -n "__fish_prestige_using_subcommand upload" -l warehouse -d 'Iceberg warehouse: where new tables go (a directory, file:// or s3:// location; for REST, the catalog\'s warehouse name) [default: from the catalog\'s config, else ./warehouse]' -r
complete -c prestige -n "__fish_prestige_using_subcommand upload" -l skip-existing -d 'Skip objects that already exist with the same size and checksum'
complete -c prestige -n "__fish_prestige_using_subcommand upload" -l remove-source -d 'Delete each local file once its upload is verified'
complete -c prestige -n "__fish_prestige_using_subcommand upload" -l plan -d 'Show what would be uploaded without uploading'
complete -c prestige -n "__fish_prestige_using_subcommand upload" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c prestige -n "__fish_prestige_using_subcommand upload" -s q -l quiet -d 'Only errors on stderr'
complete -c prestige -n "__fish_prestige_using_subcommand upload" -l no-progress -d 'Never show progress bars'
complete -c prestige -n "__fish_prestige_using_subcommand upload" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c prestige -n "__fish_prestige_using_subcommand upload" -s V -l version -d 'Print version'
complete -c prestige -n "__fish_prestige_using_subcommand compact" -l bucket -d 'S3 bucket; with it, --prefix may carry the folder (raw/events)' -r
complete -c prestige -n "__fish_prestige_using_subcommand compact" -l prefix -d 'File name prefix (exact match: `events` never selects `events_other.*`); may contain `/`' -r
complete -c prestige -n "__fish_prestige_using_subcommand compact" -l start -d 'Only files with a timestamp after this (RFC 3339, epoch s/ms, or a duration ago like 2h)' -r
complete -c prestige -n "__fish_prestige_using_subcommand compact" -l end -d 'Only files with a timestamp up to and including this' -r
complete -c prestige -n "__fish_prestige_using_subcommand compact" -l target-bytes -d 'Size of each output file' -r
complete -c prestige -n "__fish_prestige_using_subcommand compact" -l compression -d 'Parquet compression: zstd[:level], snappy, gzip[:level], lz4, none' -r
complete -c prestige -n "__fish_prestige_using_subcommand compact" -l row-group-size -d 'Rows per output row group' -r
complete -c prestige -n "__fish_prestige_using_subcommand compact" -l dedup-key -d 'Keep one row per key (comma-separated columns): the one with the greatest --order-by value' -r
complete -c prestige -n "__fish_prestige_using_subcommand compact" -l order-by -d 'Column deciding which row of a key is newest (ties: the row from the newer file)' -r
complete -c prestige -n "__fish_prestige_using_subcommand compact" -l dedup-memory -d 'Memory for deduplication; larger windows spill row hashes to disk in partitions' -r
complete -c prestige -n "__fish_prestige_using_subcommand compact" -l lock-ttl -d 'Lease length of the compaction lock: a running compaction renews it every third of this, so a crashed one\'s lock is taken over this long after it stopped (at once when it ran on this host)' -r
complete -c prestige -n "__fish_prestige_using_subcommand compact" -l state-dir -d 'Where S3 outputs are staged before upload [default: $XDG_STATE_HOME/prestige or ~/.local/state/prestige]' -r -F
complete -c prestige -n "__fish_prestige_using_subcommand compact" -l format -d 'Report format [default: table on a terminal, json otherwise]' -r -f -a "table\t'A human-readable table (default when stdout is a terminal)'
json\t'One pretty-printed JSON document (default when stdout is not a terminal)'
ndjson\t'The same document on a single line (scan: one JSON object per row)'
csv\t'Comma-separated values with a header (scan only)'
parquet\t'A Parquet file (scan only; with --out FILE or a redirected stdout)'"
complete -c prestige -n "__fish_prestige_using_subcommand compact" -l endpoint-url -d 'S3 endpoint for S3-compatible stores (implies path-style addressing)' -r
complete -c prestige -n "__fish_prestige_using_subcommand compact" -l region -d 'AWS region [default: from the AWS config chain, else us-east-1]' -r
complete -c prestige -n "__fish_prestige_using_subcommand compact" -l profile -d 'AWS profile from ~/.aws/config and ~/.aws/credentials' -r
complete -c prestige -n "__fish_prestige_using_subcommand compact" -l catalog -d 'Iceberg catalog: a name from the config file, `sqlite:///path.db`, or a REST `http(s)://` URI [default: the config file\'s default-catalog, else sqlite ./warehouse/catalog.db]' -r
complete -c prestige -n "__fish_prestige_using_subcommand compact" -l warehouse -d 'Iceberg warehouse: where new tables go (a directory, file:// or s3:// location; for REST, the catalog\'s warehouse name) [default: from the catalog\'s config, else ./warehouse]' -r
complete -c prestige -n "__fish_prestige_using_subcommand compact" -l include-compacted -d 'Also recompact earlier outputs (.c.parquet)'
complete -c prestige -n "__fish_prestige_using_subcommand compact" -l keep-originals -d 'Keep the originals (marked with PREFIX.….parquet.processed so they are not compacted again)'
complete -c prestige -n "__fish_prestige_using_subcommand compact" -l deduplicate -d 'Remove rows that are exact duplicates across the whole window (the oldest copy is kept)'
complete -c prestige -n "__fish_prestige_using_subcommand compact" -l plan -d 'Show what would happen (same report fields and counts) without changing anything'
complete -c prestige -n "__fish_prestige_using_subcommand compact" -l break-lock -d 'DANGEROUS: take over the compaction lock whoever holds it, even a live or unreadable one. Only for a holder you know is gone (another host that died); a live holder stops at its next lease check, but a step it is executing at that instant may still run alongside this one'
complete -c prestige -n "__fish_prestige_using_subcommand compact" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c prestige -n "__fish_prestige_using_subcommand compact" -s q -l quiet -d 'Only errors on stderr'
complete -c prestige -n "__fish_prestige_using_subcommand compact" -l no-progress -d 'Never show progress bars'
complete -c prestige -n "__fish_prestige_using_subcommand compact" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c prestige -n "__fish_prestige_using_subcommand compact" -s V -l version -d 'Print version'
complete -c prestige -n "__fish_prestige_using_subcommand scan" -l table -d 'Read an Iceberg table (NAMESPACE.NAME in --catalog) instead of Parquet files' -r
complete -c prestige -n "__fish_prestige_using_subcommand scan" -l snapshot-id -d 'With --table: read this snapshot (`prestige snapshot list TABLE` shows them)' -r
complete -c prestige -n "__fish_prestige_using_subcommand scan" -l ref -d 'With --table: read the snapshot a branch or tag points at' -r
complete -c prestige -n "__fish_prestige_using_subcommand scan" -l at-timestamp -d 'With --table: read the snapshot that was current on main at TIME (RFC 3339, epoch s/ms, or a duration ago like 2h)' -r
complete -c prestige -n "__fish_prestige_using_subcommand scan" -l since-snapshot -d 'With --table: only rows appended after this snapshot (exclusive)' -r
complete -c prestige -n "__fish_prestige_using_subcommand scan" -l until-snapshot -d 'With --since-snapshot: the last snapshot of the range (inclusive) [default: the current snapshot]' -r
complete -c prestige -n "__fish_prestige_using_subcommand scan" -l prefix -d 'Only files named NAME.{millis}[.*].parquet in each location (exact prefix; may contain a folder)' -r
complete -c prestige -n "__fish_prestige_using_subcommand scan" -l start -d 'With --prefix: files whose timestamp is after this (RFC 3339, epoch s/ms, or a duration ago like 2h)' -r
complete -c prestige -n "__fish_prestige_using_subcommand scan" -l end -d 'With --prefix: files whose timestamp is up to and including this' -r
complete -c prestige -n "__fish_prestige_using_subcommand scan" -s c -l columns -d 'Columns to print, comma-separated; a struct field as parent.field [default: all]' -r
complete -c prestige -n "__fish_prestige_using_subcommand scan" -s w -l where -d 'SQL condition rows must meet, e.g. "status = \'error\' AND ts >= \'2024-05-01T00:00:00Z\'"' -r
complete -c prestige -n "__fish_prestige_using_subcommand scan" -s n -l limit -d 'Stop after N rows' -r
complete -c prestige -n "__fish_prestige_using_subcommand scan" -s o -l out -d 'Write to FILE instead of stdout (format from the extension unless --format is given)' -r -F
complete -c prestige -n "__fish_prestige_using_subcommand scan" -l concurrency -d 'Files read at once [default: two per core locally, 16 on S3]' -r
complete -c prestige -n "__fish_prestige_using_subcommand scan" -l batch-size -d 'Rows per batch while reading' -r
complete -c prestige -n "__fish_prestige_using_subcommand scan" -l format -d 'Report format [default: table on a terminal, json otherwise]' -r -f -a "table\t'A human-readable table (default when stdout is a terminal)'
json\t'One pretty-printed JSON document (default when stdout is not a terminal)'
ndjson\t'The same document on a single line (scan: one JSON object per row)'
csv\t'Comma-separated values with a header (scan only)'
parquet\t'A Parquet file (scan only; with --out FILE or a redirected stdout)'"
complete -c prestige -n "__fish_prestige_using_subcommand scan" -l endpoint-url -d 'S3 endpoint for S3-compatible stores (implies path-style addressing)' -r
complete -c prestige -n "__fish_prestige_using_subcommand scan" -l region -d 'AWS region [default: from the AWS config chain, else us-east-1]' -r
complete -c prestige -n "__fish_prestige_using_subcommand scan" -l profile -d 'AWS profile from ~/.aws/config and ~/.aws/credentials' -r
complete -c prestige -n "__fish_prestige_using_subcommand scan" -l catalog -d 'Iceberg catalog: a name from the config file, `sqlite:///path.db`, or a REST `http(s)://` URI [default: the config file\'s default-catalog, else sqlite ./warehouse/catalog.db]' -r
complete -c prestige -n "__fish_prestige_using_subcommand scan" -l warehouse -d 'Iceberg warehouse: where new tables go (a directory, file:// or s3:// location; for REST, the catalog\'s warehouse name) [default: from the catalog\'s config, else ./warehouse]' -r
complete -c prestige -n "__fish_prestige_using_subcommand scan" -l schema -d 'Print the unified schema of the selected files (with --table: of the snapshot read) instead of rows'
complete -c prestige -n "__fish_prestige_using_subcommand scan" -l count -d 'Print only the number of matching rows'
complete -c prestige -n "__fish_prestige_using_subcommand scan" -l stats -d 'At the end, print what was read (files and row groups pruned, bytes read) as one JSON line on stderr'
complete -c prestige -n "__fish_prestige_using_subcommand scan" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c prestige -n "__fish_prestige_using_subcommand scan" -s q -l quiet -d 'Only errors on stderr'
complete -c prestige -n "__fish_prestige_using_subcommand scan" -l no-progress -d 'Never show progress bars'
complete -c prestige -n "__fish_prestige_using_subcommand scan" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c prestige -n "__fish_prestige_using_subcommand scan" -s V -l version -d 'Print version'
complete -c prestige -n "__fish_prestige_using_subcommand watch" -l prefix -d 'File name prefix: NAME.{millis}[.*].parquet (exact match; may contain a folder)' -r
complete -c prestige -n "__fish_prestige_using_subcommand watch" -l interval -d 'Time between polls' -r
complete -c prestige -n "__fish_prestige_using_subcommand watch" -l lookback -d 'On the first run (no state yet), emit files from this long ago on' -r
complete -c prestige -n "__fish_prestige_using_subcommand watch" -l start-after -d 'On the first run, emit files with a timestamp after this (RFC 3339, epoch s/ms, or a duration ago)' -r
complete -c prestige -n "__fish_prestige_using_subcommand watch" -l state -d 'Remember what was emitted in FILE (written atomically) and resume from it' -r -F
complete -c prestige -n "__fish_prestige_using_subcommand watch" -l safety-window -d 'How late a file may appear, measured by the timestamp in its name, and still be emitted' -r
complete -c prestige -n "__fish_prestige_using_subcommand watch" -l exec -d 'Run CMD (with sh -c) per new file, the event on its stdin and in PRESTIGE_FILE / PRESTIGE_KEY, instead of printing it; stop if it fails (the file is not recorded, so it is retried next time)' -r
complete -c prestige -n "__fish_prestige_using_subcommand watch" -l format -d 'Report format [default: table on a terminal, json otherwise]' -r -f -a "table\t'A human-readable table (default when stdout is a terminal)'
json\t'One pretty-printed JSON document (default when stdout is not a terminal)'
ndjson\t'The same document on a single line (scan: one JSON object per row)'
csv\t'Comma-separated values with a header (scan only)'
parquet\t'A Parquet file (scan only; with --out FILE or a redirected stdout)'"
complete -c prestige -n "__fish_prestige_using_subcommand watch" -l endpoint-url -d 'S3 endpoint for S3-compatible stores (implies path-style addressing)' -r
complete -c prestige -n "__fish_prestige_using_subcommand watch" -l region -d 'AWS region [default: from the AWS config chain, else us-east-1]' -r
complete -c prestige -n "__fish_prestige_using_subcommand watch" -l profile -d 'AWS profile from ~/.aws/config and ~/.aws/credentials' -r
complete -c prestige -n "__fish_prestige_using_subcommand watch" -l catalog -d 'Iceberg catalog: a name from the config file, `sqlite:///path.db`, or a REST `http(s)://` URI [default: the config file\'s default-catalog, else sqlite ./warehouse/catalog.db]' -r
complete -c prestige -n "__fish_prestige_using_subcommand watch" -l warehouse -d 'Iceberg warehouse: where new tables go (a directory, file:// or s3:// location; for REST, the catalog\'s warehouse name) [default: from the catalog\'s config, else ./warehouse]' -r
complete -c prestige -n "__fish_prestige_using_subcommand watch" -l include-compacted -d 'Also emit compaction outputs (.c.parquet); their rows were already delivered through the originals'
complete -c prestige -n "__fish_prestige_using_subcommand watch" -l once -d 'Poll once and exit (for cron)'
complete -c prestige -n "__fish_prestige_using_subcommand watch" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c prestige -n "__fish_prestige_using_subcommand watch" -s q -l quiet -d 'Only errors on stderr'
complete -c prestige -n "__fish_prestige_using_subcommand watch" -l no-progress -d 'Never show progress bars'
complete -c prestige -n "__fish_prestige_using_subcommand watch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c prestige -n "__fish_prestige_using_subcommand watch" -s V -l version -d 'Print version'
complete -c prestige -n "__fish_prestige_using_subcommand table; and not __fish_seen_subcommand_from list show create drop properties help" -l format -d 'Report format [default: table on a terminal, json otherwise]' -r -f -a "table\t'A human-readable table (default when stdout is a terminal)'
json\t'One pretty-printed JSON document (default when stdout is not a terminal)'
ndjson\t'The same document on a single line (scan: one JSON object per row)'
csv\t'Comma-separated values with a header (scan only)'
parquet\t'A Parquet file (scan only; with --out FILE or a redirected stdout)'"
complete -c prestige -n "__fish_prestige_using_subcommand table; and not __fish_seen_subcommand_from list show create drop properties help" -l endpoint-url -d 'S3 endpoint for S3-compatible stores (implies path-style addressing)' -r
complete -c prestige -n "__fish_prestige_using_subcommand table; and not __fish_seen_subcommand_from list show create drop properties help" -l region -d 'AWS region [default: from the AWS config chain, else us-east-1]' -r
complete -c prestige -n "__fish_prestige_using_subcommand table; and not __fish_seen_subcommand_from list show create drop properties help" -l profile -d 'AWS profile from ~/.aws/config and ~/.aws/credentials' -r
complete -c prestige -n "__fish_prestige_using_subcommand table; and not __fish_seen_subcommand_from list show create drop properties help" -l catalog -d 'Iceberg catalog: a name from the config file, `sqlite:///path.db`, or a REST `http(s)://` URI [default: the config file\'s default-catalog, else sqlite ./warehouse/catalog.db]' -r
complete -c prestige -n "__fish_prestige_using_subcommand table; and not __fish_seen_subcommand_from list show create drop properties help" -l warehouse -d 'Iceberg warehouse: where new tables go (a directory, file:// or s3:// location; for REST, the catalog\'s warehouse name) [default: from the catalog\'s config, else ./warehouse]' -r
complete -c prestige -n "__fish_prestige_using_subcommand table; and not __fish_seen_subcommand_from list show create drop properties help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c prestige -n "__fish_prestige_using_subcommand table; and not __fish_seen_subcommand_from list show create drop properties help" -s q -l quiet -d 'Only errors on stderr'
complete -c prestige -n "__fish_prestige_using_subcommand table; and not __fish_seen_subcommand_from list show create drop properties help" -l no-progress -d 'Never show progress bars'
complete -c prestige -n "__fish_prestige_using_subcommand table; and not __fish_seen_subcommand_from list show create drop properties help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c prestige -n "__fish_prestige_using_subcommand table; and not __fish_seen_subcommand_from list show create drop properties help" -s V -l version -d 'Print version'
complete -c prestige -n "__fish_prestige_using_subcommand table; and not __fish_seen_subcommand_from list show create drop properties help" -f -a "list" -d 'List namespaces (recursively) and their tables'
complete -c prestige -n "__fish_prestige_using_subcommand table; and not __fish_seen_subcommand_from list show create drop properties help" -f -a "show" -d 'Show a table: schema, partition spec, sort order, properties, refs, current snapshot and health'
complete -c prestige -n "__fish_prestige_using_subcommand table; and not __fish_seen_subcommand_from list show create drop properties help" -f -a "create" -d 'Create a table from a schema file (the namespace is created when missing)'
complete -c prestige -n "__fish_prestige_using_subcommand table; and not __fish_seen_subcommand_from list show create drop properties help" -f -a "drop" -d 'Remove a table from the catalog; its files stay unless --purge'
complete -c prestige -n "__fish_prestige_using_subcommand table; and not __fish_seen_subcommand_from list show create drop properties help" -f -a "properties" -d 'Set or unset table properties (one commit)'
complete -c prestige -n "__fish_prestige_using_subcommand table; and not __fish_seen_subcommand_from list show create drop properties help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from list" -l format -d 'Report format [default: table on a terminal, json otherwise]' -r -f -a "table\t'A human-readable table (default when stdout is a terminal)'
json\t'One pretty-printed JSON document (default when stdout is not a terminal)'
ndjson\t'The same document on a single line (scan: one JSON object per row)'
csv\t'Comma-separated values with a header (scan only)'
parquet\t'A Parquet file (scan only; with --out FILE or a redirected stdout)'"
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from list" -l endpoint-url -d 'S3 endpoint for S3-compatible stores (implies path-style addressing)' -r
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from list" -l region -d 'AWS region [default: from the AWS config chain, else us-east-1]' -r
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from list" -l profile -d 'AWS profile from ~/.aws/config and ~/.aws/credentials' -r
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from list" -l catalog -d 'Iceberg catalog: a name from the config file, `sqlite:///path.db`, or a REST `http(s)://` URI [default: the config file\'s default-catalog, else sqlite ./warehouse/catalog.db]' -r
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from list" -l warehouse -d 'Iceberg warehouse: where new tables go (a directory, file:// or s3:// location; for REST, the catalog\'s warehouse name) [default: from the catalog\'s config, else ./warehouse]' -r
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Only errors on stderr'
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from list" -l no-progress -d 'Never show progress bars'
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from show" -l format -d 'Report format [default: table on a terminal, json otherwise]' -r -f -a "table\t'A human-readable table (default when stdout is a terminal)'
json\t'One pretty-printed JSON document (default when stdout is not a terminal)'
ndjson\t'The same document on a single line (scan: one JSON object per row)'
csv\t'Comma-separated values with a header (scan only)'
parquet\t'A Parquet file (scan only; with --out FILE or a redirected stdout)'"
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from show" -l endpoint-url -d 'S3 endpoint for S3-compatible stores (implies path-style addressing)' -r
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from show" -l region -d 'AWS region [default: from the AWS config chain, else us-east-1]' -r
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from show" -l profile -d 'AWS profile from ~/.aws/config and ~/.aws/credentials' -r
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from show" -l catalog -d 'Iceberg catalog: a name from the config file, `sqlite:///path.db`, or a REST `http(s)://` URI [default: the config file\'s default-catalog, else sqlite ./warehouse/catalog.db]' -r
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from show" -l warehouse -d 'Iceberg warehouse: where new tables go (a directory, file:// or s3:// location; for REST, the catalog\'s warehouse name) [default: from the catalog\'s config, else ./warehouse]' -r
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from show" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Only errors on stderr'
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from show" -l no-progress -d 'Never show progress bars'
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from create" -l schema -d 'Schema file (ingest\'s format)' -r -F
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from create" -l partition-by -d 'Partition spec, e.g. "day(ts), bucket(16, id), truncate(4, name), region"' -r
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from create" -l sort-by -d 'Sort order, e.g. "ts desc nulls last, id"' -r
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from create" -l identifier -d 'Identifier (row key) columns, comma-separated; they must be non-nullable in the schema' -r
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from create" -l property -d 'A table property K=V (repeatable)' -r
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from create" -l format-version -d 'Iceberg format version: 1 or 2 (3 is refused: prestige does not write v3 row lineage yet)' -r
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from create" -l location -d 'Where the table\'s files go [default: {warehouse}/{namespace}.db/{name}]' -r
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from create" -l format -d 'Report format [default: table on a terminal, json otherwise]' -r -f -a "table\t'A human-readable table (default when stdout is a terminal)'
json\t'One pretty-printed JSON document (default when stdout is not a terminal)'
ndjson\t'The same document on a single line (scan: one JSON object per row)'
csv\t'Comma-separated values with a header (scan only)'
parquet\t'A Parquet file (scan only; with --out FILE or a redirected stdout)'"
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from create" -l endpoint-url -d 'S3 endpoint for S3-compatible stores (implies path-style addressing)' -r
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from create" -l region -d 'AWS region [default: from the AWS config chain, else us-east-1]' -r
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from create" -l profile -d 'AWS profile from ~/.aws/config and ~/.aws/credentials' -r
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from create" -l catalog -d 'Iceberg catalog: a name from the config file, `sqlite:///path.db`, or a REST `http(s)://` URI [default: the config file\'s default-catalog, else sqlite ./warehouse/catalog.db]' -r
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from create" -l warehouse -d 'Iceberg warehouse: where new tables go (a directory, file:// or s3:// location; for REST, the catalog\'s warehouse name) [default: from the catalog\'s config, else ./warehouse]' -r
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from create" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from create" -s q -l quiet -d 'Only errors on stderr'
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from create" -l no-progress -d 'Never show progress bars'
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from create" -s V -l version -d 'Print version'
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from drop" -l format -d 'Report format [default: table on a terminal, json otherwise]' -r -f -a "table\t'A human-readable table (default when stdout is a terminal)'
json\t'One pretty-printed JSON document (default when stdout is not a terminal)'
ndjson\t'The same document on a single line (scan: one JSON object per row)'
csv\t'Comma-separated values with a header (scan only)'
parquet\t'A Parquet file (scan only; with --out FILE or a redirected stdout)'"
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from drop" -l endpoint-url -d 'S3 endpoint for S3-compatible stores (implies path-style addressing)' -r
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from drop" -l region -d 'AWS region [default: from the AWS config chain, else us-east-1]' -r
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from drop" -l profile -d 'AWS profile from ~/.aws/config and ~/.aws/credentials' -r
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from drop" -l catalog -d 'Iceberg catalog: a name from the config file, `sqlite:///path.db`, or a REST `http(s)://` URI [default: the config file\'s default-catalog, else sqlite ./warehouse/catalog.db]' -r
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from drop" -l warehouse -d 'Iceberg warehouse: where new tables go (a directory, file:// or s3:// location; for REST, the catalog\'s warehouse name) [default: from the catalog\'s config, else ./warehouse]' -r
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from drop" -l purge -d 'Also delete every file the table\'s metadata references (data, deletes, manifests, metadata); a REST catalog is asked to purge as well'
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from drop" -l plan -d 'Show what would be dropped and deleted, change nothing'
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from drop" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from drop" -s q -l quiet -d 'Only errors on stderr'
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from drop" -l no-progress -d 'Never show progress bars'
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from drop" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from drop" -s V -l version -d 'Print version'
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from properties" -l set -d 'Set a property K=V (repeatable)' -r
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from properties" -l unset -d 'Remove a property (repeatable)' -r
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from properties" -l format -d 'Report format [default: table on a terminal, json otherwise]' -r -f -a "table\t'A human-readable table (default when stdout is a terminal)'
json\t'One pretty-printed JSON document (default when stdout is not a terminal)'
ndjson\t'The same document on a single line (scan: one JSON object per row)'
csv\t'Comma-separated values with a header (scan only)'
parquet\t'A Parquet file (scan only; with --out FILE or a redirected stdout)'"
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from properties" -l endpoint-url -d 'S3 endpoint for S3-compatible stores (implies path-style addressing)' -r
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from properties" -l region -d 'AWS region [default: from the AWS config chain, else us-east-1]' -r
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from properties" -l profile -d 'AWS profile from ~/.aws/config and ~/.aws/credentials' -r
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from properties" -l catalog -d 'Iceberg catalog: a name from the config file, `sqlite:///path.db`, or a REST `http(s)://` URI [default: the config file\'s default-catalog, else sqlite ./warehouse/catalog.db]' -r
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from properties" -l warehouse -d 'Iceberg warehouse: where new tables go (a directory, file:// or s3:// location; for REST, the catalog\'s warehouse name) [default: from the catalog\'s config, else ./warehouse]' -r
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from properties" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from properties" -s q -l quiet -d 'Only errors on stderr'
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from properties" -l no-progress -d 'Never show progress bars'
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from properties" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from properties" -s V -l version -d 'Print version'
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from help" -f -a "list" -d 'List namespaces (recursively) and their tables'
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show a table: schema, partition spec, sort order, properties, refs, current snapshot and health'
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from help" -f -a "create" -d 'Create a table from a schema file (the namespace is created when missing)'
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from help" -f -a "drop" -d 'Remove a table from the catalog; its files stay unless --purge'
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from help" -f -a "properties" -d 'Set or unset table properties (one commit)'
complete -c prestige -n "__fish_prestige_using_subcommand table; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and not __fish_seen_subcommand_from list show refs help" -l format -d 'Report format [default: table on a terminal, json otherwise]' -r -f -a "table\t'A human-readable table (default when stdout is a terminal)'
json\t'One pretty-printed JSON document (default when stdout is not a terminal)'
ndjson\t'The same document on a single line (scan: one JSON object per row)'
csv\t'Comma-separated values with a header (scan only)'
parquet\t'A Parquet file (scan only; with --out FILE or a redirected stdout)'"
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and not __fish_seen_subcommand_from list show refs help" -l endpoint-url -d 'S3 endpoint for S3-compatible stores (implies path-style addressing)' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and not __fish_seen_subcommand_from list show refs help" -l region -d 'AWS region [default: from the AWS config chain, else us-east-1]' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and not __fish_seen_subcommand_from list show refs help" -l profile -d 'AWS profile from ~/.aws/config and ~/.aws/credentials' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and not __fish_seen_subcommand_from list show refs help" -l catalog -d 'Iceberg catalog: a name from the config file, `sqlite:///path.db`, or a REST `http(s)://` URI [default: the config file\'s default-catalog, else sqlite ./warehouse/catalog.db]' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and not __fish_seen_subcommand_from list show refs help" -l warehouse -d 'Iceberg warehouse: where new tables go (a directory, file:// or s3:// location; for REST, the catalog\'s warehouse name) [default: from the catalog\'s config, else ./warehouse]' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and not __fish_seen_subcommand_from list show refs help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and not __fish_seen_subcommand_from list show refs help" -s q -l quiet -d 'Only errors on stderr'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and not __fish_seen_subcommand_from list show refs help" -l no-progress -d 'Never show progress bars'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and not __fish_seen_subcommand_from list show refs help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and not __fish_seen_subcommand_from list show refs help" -s V -l version -d 'Print version'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and not __fish_seen_subcommand_from list show refs help" -f -a "list" -d 'List a branch\'s snapshots, newest first: operation, files and rows added and deleted, refs, commit id'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and not __fish_seen_subcommand_from list show refs help" -f -a "show" -d 'Show one snapshot: its full summary, schema id, manifest list and manifests with their counts'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and not __fish_seen_subcommand_from list show refs help" -f -a "refs" -d 'List the table\'s branches and tags with their snapshots and retention settings'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and not __fish_seen_subcommand_from list show refs help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from list" -l ref -d 'Follow this branch\'s (or tag\'s) lineage instead of main\'s' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from list" -l format -d 'Report format [default: table on a terminal, json otherwise]' -r -f -a "table\t'A human-readable table (default when stdout is a terminal)'
json\t'One pretty-printed JSON document (default when stdout is not a terminal)'
ndjson\t'The same document on a single line (scan: one JSON object per row)'
csv\t'Comma-separated values with a header (scan only)'
parquet\t'A Parquet file (scan only; with --out FILE or a redirected stdout)'"
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from list" -l endpoint-url -d 'S3 endpoint for S3-compatible stores (implies path-style addressing)' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from list" -l region -d 'AWS region [default: from the AWS config chain, else us-east-1]' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from list" -l profile -d 'AWS profile from ~/.aws/config and ~/.aws/credentials' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from list" -l catalog -d 'Iceberg catalog: a name from the config file, `sqlite:///path.db`, or a REST `http(s)://` URI [default: the config file\'s default-catalog, else sqlite ./warehouse/catalog.db]' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from list" -l warehouse -d 'Iceberg warehouse: where new tables go (a directory, file:// or s3:// location; for REST, the catalog\'s warehouse name) [default: from the catalog\'s config, else ./warehouse]' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from list" -l all -d 'Every snapshot in the table\'s metadata, whatever lineage it is on'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Only errors on stderr'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from list" -l no-progress -d 'Never show progress bars'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from show" -l format -d 'Report format [default: table on a terminal, json otherwise]' -r -f -a "table\t'A human-readable table (default when stdout is a terminal)'
json\t'One pretty-printed JSON document (default when stdout is not a terminal)'
ndjson\t'The same document on a single line (scan: one JSON object per row)'
csv\t'Comma-separated values with a header (scan only)'
parquet\t'A Parquet file (scan only; with --out FILE or a redirected stdout)'"
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from show" -l endpoint-url -d 'S3 endpoint for S3-compatible stores (implies path-style addressing)' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from show" -l region -d 'AWS region [default: from the AWS config chain, else us-east-1]' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from show" -l profile -d 'AWS profile from ~/.aws/config and ~/.aws/credentials' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from show" -l catalog -d 'Iceberg catalog: a name from the config file, `sqlite:///path.db`, or a REST `http(s)://` URI [default: the config file\'s default-catalog, else sqlite ./warehouse/catalog.db]' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from show" -l warehouse -d 'Iceberg warehouse: where new tables go (a directory, file:// or s3:// location; for REST, the catalog\'s warehouse name) [default: from the catalog\'s config, else ./warehouse]' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from show" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Only errors on stderr'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from show" -l no-progress -d 'Never show progress bars'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from refs" -l format -d 'Report format [default: table on a terminal, json otherwise]' -r -f -a "table\t'A human-readable table (default when stdout is a terminal)'
json\t'One pretty-printed JSON document (default when stdout is not a terminal)'
ndjson\t'The same document on a single line (scan: one JSON object per row)'
csv\t'Comma-separated values with a header (scan only)'
parquet\t'A Parquet file (scan only; with --out FILE or a redirected stdout)'"
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from refs" -l endpoint-url -d 'S3 endpoint for S3-compatible stores (implies path-style addressing)' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from refs" -l region -d 'AWS region [default: from the AWS config chain, else us-east-1]' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from refs" -l profile -d 'AWS profile from ~/.aws/config and ~/.aws/credentials' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from refs" -l catalog -d 'Iceberg catalog: a name from the config file, `sqlite:///path.db`, or a REST `http(s)://` URI [default: the config file\'s default-catalog, else sqlite ./warehouse/catalog.db]' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from refs" -l warehouse -d 'Iceberg warehouse: where new tables go (a directory, file:// or s3:// location; for REST, the catalog\'s warehouse name) [default: from the catalog\'s config, else ./warehouse]' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from refs" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from refs" -s q -l quiet -d 'Only errors on stderr'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from refs" -l no-progress -d 'Never show progress bars'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from refs" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from refs" -s V -l version -d 'Print version'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from help" -f -a "list" -d 'List a branch\'s snapshots, newest first: operation, files and rows added and deleted, refs, commit id'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one snapshot: its full summary, schema id, manifest list and manifests with their counts'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from help" -f -a "refs" -d 'List the table\'s branches and tags with their snapshots and retention settings'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c prestige -n "__fish_prestige_using_subcommand completions" -l format -d 'Report format [default: table on a terminal, json otherwise]' -r -f -a "table\t'A human-readable table (default when stdout is a terminal)'
json\t'One pretty-printed JSON document (default when stdout is not a terminal)'
ndjson\t'The same document on a single line (scan: one JSON object per row)'
csv\t'Comma-separated values with a header (scan only)'
parquet\t'A Parquet file (scan only; with --out FILE or a redirected stdout)'"
complete -c prestige -n "__fish_prestige_using_subcommand completions" -l endpoint-url -d 'S3 endpoint for S3-compatible stores (implies path-style addressing)' -r
complete -c prestige -n "__fish_prestige_using_subcommand completions" -l region -d 'AWS region [default: from the AWS config chain, else us-east-1]' -r
complete -c prestige -n "__fish_prestige_using_subcommand completions" -l profile -d 'AWS profile from ~/.aws/config and ~/.aws/credentials' -r
complete -c prestige -n "__fish_prestige_using_subcommand completions" -l catalog -d 'Iceberg catalog: a name from the config file, `sqlite:///path.db`, or a REST `http(s)://` URI [default: the config file\'s default-catalog, else sqlite ./warehouse/catalog.db]' -r
complete -c prestige -n "__fish_prestige_using_subcommand completions" -l warehouse -d 'Iceberg warehouse: where new tables go (a directory, file:// or s3:// location; for REST, the catalog\'s warehouse name) [default: from the catalog\'s config, else ./warehouse]' -r
complete -c prestige -n "__fish_prestige_using_subcommand completions" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c prestige -n "__fish_prestige_using_subcommand completions" -s q -l quiet -d 'Only errors on stderr'
complete -c prestige -n "__fish_prestige_using_subcommand completions" -l no-progress -d 'Never show progress bars'
complete -c prestige -n "__fish_prestige_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c prestige -n "__fish_prestige_using_subcommand completions" -s V -l version -d 'Print version'
complete -c prestige -n "__fish_prestige_using_subcommand generate-assets" -l format -d 'Report format [default: table on a terminal, json otherwise]' -r -f -a "table\t'A human-readable table (default when stdout is a terminal)'
json\t'One pretty-printed JSON document (default when stdout is not a terminal)'
ndjson\t'The same document on a single line (scan: one JSON object per row)'
csv\t'Comma-separated values with a header (scan only)'
parquet\t'A Parquet file (scan only; with --out FILE or a redirected stdout)'"
complete -c prestige -n "__fish_prestige_using_subcommand generate-assets" -l endpoint-url -d 'S3 endpoint for S3-compatible stores (implies path-style addressing)' -r
complete -c prestige -n "__fish_prestige_using_subcommand generate-assets" -l region -d 'AWS region [default: from the AWS config chain, else us-east-1]' -r
complete -c prestige -n "__fish_prestige_using_subcommand generate-assets" -l profile -d 'AWS profile from ~/.aws/config and ~/.aws/credentials' -r
complete -c prestige -n "__fish_prestige_using_subcommand generate-assets" -l catalog -d 'Iceberg catalog: a name from the config file, `sqlite:///path.db`, or a REST `http(s)://` URI [default: the config file\'s default-catalog, else sqlite ./warehouse/catalog.db]' -r
complete -c prestige -n "__fish_prestige_using_subcommand generate-assets" -l warehouse -d 'Iceberg warehouse: where new tables go (a directory, file:// or s3:// location; for REST, the catalog\'s warehouse name) [default: from the catalog\'s config, else ./warehouse]' -r
complete -c prestige -n "__fish_prestige_using_subcommand generate-assets" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c prestige -n "__fish_prestige_using_subcommand generate-assets" -s q -l quiet -d 'Only errors on stderr'
complete -c prestige -n "__fish_prestige_using_subcommand generate-assets" -l no-progress -d 'Never show progress bars'
complete -c prestige -n "__fish_prestige_using_subcommand generate-assets" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c prestige -n "__fish_prestige_using_subcommand generate-assets" -s V -l version -d 'Print version'
complete -c prestige -n "__fish_prestige_using_subcommand help; and not __fish_seen_subcommand_from ingest upload compact scan watch table snapshot completions generate-assets help" -f -a "ingest" -d 'Load NDJSON into rotating Parquet files in a local directory or on S3, or append it to an Iceberg table'
complete -c prestige -n "__fish_prestige_using_subcommand help; and not __fish_seen_subcommand_from ingest upload compact scan watch table snapshot completions generate-assets help" -f -a "upload" -d 'Upload finished files to S3: concurrent, multipart, retried, verified'
complete -c prestige -n "__fish_prestige_using_subcommand help; and not __fish_seen_subcommand_from ingest upload compact scan watch table snapshot completions generate-assets help" -f -a "compact" -d 'Merge a prefix\'s small Parquet files into target-sized files, crash-safely'
complete -c prestige -n "__fish_prestige_using_subcommand help; and not __fish_seen_subcommand_from ingest upload compact scan watch table snapshot completions generate-assets help" -f -a "scan" -d 'Read Parquet files (local or S3) or an Iceberg table (--table): projection, SQL filters, time travel'
complete -c prestige -n "__fish_prestige_using_subcommand help; and not __fish_seen_subcommand_from ingest upload compact scan watch table snapshot completions generate-assets help" -f -a "watch" -d 'Poll a local directory or S3 prefix and print one NDJSON event per new file'
complete -c prestige -n "__fish_prestige_using_subcommand help; and not __fish_seen_subcommand_from ingest upload compact scan watch table snapshot completions generate-assets help" -f -a "table" -d 'Iceberg tables: list, show, create, drop, set properties'
complete -c prestige -n "__fish_prestige_using_subcommand help; and not __fish_seen_subcommand_from ingest upload compact scan watch table snapshot completions generate-assets help" -f -a "snapshot" -d 'Iceberg snapshots: list a branch\'s snapshots, show one, list refs'
complete -c prestige -n "__fish_prestige_using_subcommand help; and not __fish_seen_subcommand_from ingest upload compact scan watch table snapshot completions generate-assets help" -f -a "completions" -d 'Print a shell completion script'
complete -c prestige -n "__fish_prestige_using_subcommand help; and not __fish_seen_subcommand_from ingest upload compact scan watch table snapshot completions generate-assets help" -f -a "generate-assets" -d 'Write completions and man pages into a directory (used to refresh completions/ and man/)'
complete -c prestige -n "__fish_prestige_using_subcommand help; and not __fish_seen_subcommand_from ingest upload compact scan watch table snapshot completions generate-assets help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c prestige -n "__fish_prestige_using_subcommand help; and __fish_seen_subcommand_from table" -f -a "list" -d 'List namespaces (recursively) and their tables'
complete -c prestige -n "__fish_prestige_using_subcommand help; and __fish_seen_subcommand_from table" -f -a "show" -d 'Show a table: schema, partition spec, sort order, properties, refs, current snapshot and health'
complete -c prestige -n "__fish_prestige_using_subcommand help; and __fish_seen_subcommand_from table" -f -a "create" -d 'Create a table from a schema file (the namespace is created when missing)'
complete -c prestige -n "__fish_prestige_using_subcommand help; and __fish_seen_subcommand_from table" -f -a "drop" -d 'Remove a table from the catalog; its files stay unless --purge'
complete -c prestige -n "__fish_prestige_using_subcommand help; and __fish_seen_subcommand_from table" -f -a "properties" -d 'Set or unset table properties (one commit)'
complete -c prestige -n "__fish_prestige_using_subcommand help; and __fish_seen_subcommand_from snapshot" -f -a "list" -d 'List a branch\'s snapshots, newest first: operation, files and rows added and deleted, refs, commit id'
complete -c prestige -n "__fish_prestige_using_subcommand help; and __fish_seen_subcommand_from snapshot" -f -a "show" -d 'Show one snapshot: its full summary, schema id, manifest list and manifests with their counts'
complete -c prestige -n "__fish_prestige_using_subcommand help; and __fish_seen_subcommand_from snapshot" -f -a "refs" -d 'List the table\'s branches and tags with their snapshots and retention settings'
