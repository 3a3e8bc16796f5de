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
complete -c prestige -n "__fish_prestige_needs_command" -f -a "snapshot" -d 'Iceberg snapshots: list, show, refs; expire, remove orphans, rollback, set-current, cherry-pick, branches, tags'
complete -c prestige -n "__fish_prestige_needs_command" -f -a "publish" -d 'Write-audit-publish: make an audited branch (or the snapshot carrying a WAP id) visible on main'
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
complete -c prestige -n "__fish_prestige_using_subcommand ingest" -l branch -d 'Commit to this branch instead of main (created at main\'s head if missing); `scan --table --ref` reads it and `prestige publish` makes it visible on main' -r
complete -c prestige -n "__fish_prestige_using_subcommand ingest" -l wap-id -d 'Put `wap.id` = ID into every snapshot\'s summary (write-audit-publish: `prestige publish --wap-id ID`)' -r
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
complete -c prestige -n "__fish_prestige_using_subcommand compact" -l table -d 'Compact this Iceberg table (NAMESPACE.TABLE) of the catalog (--catalog): rewrite its small files per partition into target-sized ones as a `replace` snapshot, deletes applied' -r
complete -c prestige -n "__fish_prestige_using_subcommand compact" -l branch -d 'Branch to compact' -r
complete -c prestige -n "__fish_prestige_using_subcommand compact" -l target-file-size -d 'Output file size [default: the table\'s write.target-file-size-bytes, else 512MiB]' -r
complete -c prestige -n "__fish_prestige_using_subcommand compact" -l min-file-size -d 'Files smaller than this are rewritten [default: 75% of the target]' -r
complete -c prestige -n "__fish_prestige_using_subcommand compact" -l max-file-size -d 'Files larger than this are split [default: 180% of the target]' -r
complete -c prestige -n "__fish_prestige_using_subcommand compact" -l min-input-files -d 'A partition is rewritten when it has at least this many candidate files' -r
complete -c prestige -n "__fish_prestige_using_subcommand compact" -l delete-file-threshold -d 'Files with at least this many delete files applying to them are rewritten whatever their size' -r
complete -c prestige -n "__fish_prestige_using_subcommand compact" -l where -d 'Only files that may hold rows matching this SQL expression (partition values and column statistics); whole files are rewritten' -r
complete -c prestige -n "__fish_prestige_using_subcommand compact" -l start -d 'Only files with a timestamp after this (RFC 3339, epoch s/ms, or a duration ago like 2h)' -r
complete -c prestige -n "__fish_prestige_using_subcommand compact" -l end -d 'Only files with a timestamp up to and including this' -r
complete -c prestige -n "__fish_prestige_using_subcommand compact" -l target-bytes -d 'Size of each output file' -r
complete -c prestige -n "__fish_prestige_using_subcommand compact" -l compression -d 'Parquet compression: zstd[:level], snappy, gzip[:level], lz4, none' -r
complete -c prestige -n "__fish_prestige_using_subcommand compact" -l row-group-size -d 'Rows per output row group' -r
complete -c prestige -n "__fish_prestige_using_subcommand compact" -l dedup-key -d 'Keep one row per key (comma-separated columns): the one with the greatest --order-by value. With --table: the key of --deduplicate' -r
complete -c prestige -n "__fish_prestige_using_subcommand compact" -l order-by -d 'Column deciding which row of a key is newest (ties: the row from the newer file). With --table: breaks ties between rows of the same data sequence number (greatest wins)' -r
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
complete -c prestige -n "__fish_prestige_using_subcommand compact" -l rewrite-all -d 'Rewrite every file of the selected partitions'
complete -c prestige -n "__fish_prestige_using_subcommand compact" -l partial-progress -d 'Commit each partition group as soon as it is rewritten (a long run keeps what it finished)'
complete -c prestige -n "__fish_prestige_using_subcommand compact" -l include-compacted -d 'Also recompact earlier outputs (.c.parquet)'
complete -c prestige -n "__fish_prestige_using_subcommand compact" -l keep-originals -d 'Keep the originals (marked with PREFIX.….parquet.processed so they are not compacted again)'
complete -c prestige -n "__fish_prestige_using_subcommand compact" -l deduplicate -d 'Remove rows that are exact duplicates across the whole window (the oldest copy is kept). With --table: keep one row per key (--dedup-key, else the table\'s identifier fields), the newest by data sequence number'
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
complete -c prestige -n "__fish_prestige_using_subcommand watch" -l table -d 'Follow an Iceberg table (NAMESPACE.NAME in --catalog) instead of a prefix: one event per new snapshot' -r
complete -c prestige -n "__fish_prestige_using_subcommand watch" -l ref -d 'With --table: the branch or tag to follow [default: main]' -r
complete -c prestige -n "__fish_prestige_using_subcommand watch" -l start-snapshot -d 'With --table and no state yet: start with this snapshot (inclusive) instead of --lookback' -r
complete -c prestige -n "__fish_prestige_using_subcommand watch" -s c -l columns -d 'With --rows: columns to print, comma-separated; a struct field as parent.field [default: all]' -r
complete -c prestige -n "__fish_prestige_using_subcommand watch" -s w -l where -d 'With --rows: SQL condition rows must meet, as in `scan --where`' -r
complete -c prestige -n "__fish_prestige_using_subcommand watch" -l interval -d 'Time between polls' -r
complete -c prestige -n "__fish_prestige_using_subcommand watch" -l lookback -d 'On the first run (no state yet), emit files (with --table: snapshots) from this long ago on' -r
complete -c prestige -n "__fish_prestige_using_subcommand watch" -l start-after -d 'On the first run, emit files with a timestamp after this (RFC 3339, epoch s/ms, or a duration ago)' -r
complete -c prestige -n "__fish_prestige_using_subcommand watch" -l state -d 'Remember what was emitted in FILE (written atomically) and resume from it' -r -F
complete -c prestige -n "__fish_prestige_using_subcommand watch" -l safety-window -d 'How late a file may appear, measured by the timestamp in its name, and still be emitted' -r
complete -c prestige -n "__fish_prestige_using_subcommand watch" -l exec -d 'Run CMD (with sh -c) per new file, the event on its stdin and in PRESTIGE_FILE / PRESTIGE_KEY, instead of printing it; stop if it fails (the file is not recorded, so it is retried next time). With --table: per snapshot, the event (with --rows: the snapshot\'s rows) on its stdin, PRESTIGE_EVENT, PRESTIGE_TABLE, PRESTIGE_REF, PRESTIGE_SNAPSHOT_ID and PRESTIGE_OPERATION in its environment' -r
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
complete -c prestige -n "__fish_prestige_using_subcommand watch" -l rows -d 'With --table: print the rows each append snapshot added (NDJSON) instead of events'
complete -c prestige -n "__fish_prestige_using_subcommand watch" -l skip-non-append -d 'With --rows: pass over overwrite and delete snapshots (their changes are not delivered) instead of stopping'
complete -c prestige -n "__fish_prestige_using_subcommand watch" -l markers -d 'With --rows: end each snapshot\'s rows with a line {"prestige_watch_end": EVENT}'
complete -c prestige -n "__fish_prestige_using_subcommand watch" -l include-replace -d 'With --table: also print events for replace snapshots (compactions)'
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
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and not __fish_seen_subcommand_from list show refs expire remove-orphans rollback set-current cherry-pick branch tag help" -l format -d 'Report format [default: table on a terminal, json otherwise]' -r -f -a "table\t'A human-readable table (default when stdout is a terminal)'
json\t'One pretty-printed JSON document (default when stdout is not a terminal)'
ndjson\t'The same document on a single line (scan: one JSON object per row)'
csv\t'Comma-separated values with a header (scan only)'
parquet\t'A Parquet file (scan only; with --out FILE or a redirected stdout)'"
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and not __fish_seen_subcommand_from list show refs expire remove-orphans rollback set-current cherry-pick branch tag help" -l endpoint-url -d 'S3 endpoint for S3-compatible stores (implies path-style addressing)' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and not __fish_seen_subcommand_from list show refs expire remove-orphans rollback set-current cherry-pick branch tag help" -l region -d 'AWS region [default: from the AWS config chain, else us-east-1]' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and not __fish_seen_subcommand_from list show refs expire remove-orphans rollback set-current cherry-pick branch tag help" -l profile -d 'AWS profile from ~/.aws/config and ~/.aws/credentials' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and not __fish_seen_subcommand_from list show refs expire remove-orphans rollback set-current cherry-pick branch tag help" -l catalog -d 'Iceberg catalog: a name from the config file, `sqlite:///path.db`, or a REST `http(s)://` URI [default: the config file\'s default-catalog, else sqlite ./warehouse/catalog.db]' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and not __fish_seen_subcommand_from list show refs expire remove-orphans rollback set-current cherry-pick branch tag help" -l warehouse -d 'Iceberg warehouse: where new tables go (a directory, file:// or s3:// location; for REST, the catalog\'s warehouse name) [default: from the catalog\'s config, else ./warehouse]' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and not __fish_seen_subcommand_from list show refs expire remove-orphans rollback set-current cherry-pick branch tag help" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and not __fish_seen_subcommand_from list show refs expire remove-orphans rollback set-current cherry-pick branch tag help" -s q -l quiet -d 'Only errors on stderr'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and not __fish_seen_subcommand_from list show refs expire remove-orphans rollback set-current cherry-pick branch tag help" -l no-progress -d 'Never show progress bars'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and not __fish_seen_subcommand_from list show refs expire remove-orphans rollback set-current cherry-pick branch tag help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and not __fish_seen_subcommand_from list show refs expire remove-orphans rollback set-current cherry-pick branch tag help" -s V -l version -d 'Print version'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and not __fish_seen_subcommand_from list show refs expire remove-orphans rollback set-current cherry-pick branch tag help" -f -a "list" -d 'List a branch\'s snapshots, newest first: operation, files and rows added and deleted, refs, commit id'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and not __fish_seen_subcommand_from list show refs expire remove-orphans rollback set-current cherry-pick branch tag help" -f -a "show" -d 'Show one snapshot: its full summary, schema id, manifest list and manifests with their counts'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and not __fish_seen_subcommand_from list show refs expire remove-orphans rollback set-current cherry-pick branch tag help" -f -a "refs" -d 'List the table\'s branches and tags with their snapshots and retention settings'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and not __fish_seen_subcommand_from list show refs expire remove-orphans rollback set-current cherry-pick branch tag help" -f -a "expire" -d 'Remove old snapshots (per branch retention) and delete the files only they reached'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and not __fish_seen_subcommand_from list show refs expire remove-orphans rollback set-current cherry-pick branch tag help" -f -a "remove-orphans" -d 'Delete files under the table\'s location that no metadata references and that are old enough'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and not __fish_seen_subcommand_from list show refs expire remove-orphans rollback set-current cherry-pick branch tag help" -f -a "rollback" -d 'Move main back to one of its ancestors'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and not __fish_seen_subcommand_from list show refs expire remove-orphans rollback set-current cherry-pick branch tag help" -f -a "set-current" -d 'Point main at any snapshot of the table (a ref\'s, or one by id)'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and not __fish_seen_subcommand_from list show refs expire remove-orphans rollback set-current cherry-pick branch tag help" -f -a "cherry-pick" -d 'Apply an append snapshot from another branch onto a branch as a new snapshot'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and not __fish_seen_subcommand_from list show refs expire remove-orphans rollback set-current cherry-pick branch tag help" -f -a "branch" -d 'Create or drop a branch'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and not __fish_seen_subcommand_from list show refs expire remove-orphans rollback set-current cherry-pick branch tag help" -f -a "tag" -d 'Create or drop a tag'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and not __fish_seen_subcommand_from list show refs expire remove-orphans rollback set-current cherry-pick branch tag help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
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
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from expire" -l older-than -d 'Snapshots made before this may be removed: RFC 3339, epoch seconds/millis, or a duration ago (7d) [default: now - history.expire.max-snapshot-age-ms, else 5 days]; a branch\'s own max-snapshot-age-ms wins' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from expire" -l retain-last -d 'Keep at least this many snapshots of each branch\'s history [default: history.expire.min-snapshots-to-keep, else 1]; a branch\'s own min-snapshots-to-keep wins' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from expire" -l snapshot-id -d 'Also expire this snapshot (repeatable); refused if a ref points at it or a branch retains it' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from expire" -l format -d 'Report format [default: table on a terminal, json otherwise]' -r -f -a "table\t'A human-readable table (default when stdout is a terminal)'
json\t'One pretty-printed JSON document (default when stdout is not a terminal)'
ndjson\t'The same document on a single line (scan: one JSON object per row)'
csv\t'Comma-separated values with a header (scan only)'
parquet\t'A Parquet file (scan only; with --out FILE or a redirected stdout)'"
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from expire" -l endpoint-url -d 'S3 endpoint for S3-compatible stores (implies path-style addressing)' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from expire" -l region -d 'AWS region [default: from the AWS config chain, else us-east-1]' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from expire" -l profile -d 'AWS profile from ~/.aws/config and ~/.aws/credentials' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from expire" -l catalog -d 'Iceberg catalog: a name from the config file, `sqlite:///path.db`, or a REST `http(s)://` URI [default: the config file\'s default-catalog, else sqlite ./warehouse/catalog.db]' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from expire" -l warehouse -d 'Iceberg warehouse: where new tables go (a directory, file:// or s3:// location; for REST, the catalog\'s warehouse name) [default: from the catalog\'s config, else ./warehouse]' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from expire" -l plan -d 'Show what would be removed and deleted (the same counts) without changing anything'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from expire" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from expire" -s q -l quiet -d 'Only errors on stderr'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from expire" -l no-progress -d 'Never show progress bars'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from expire" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from expire" -s V -l version -d 'Print version'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from remove-orphans" -l older-than -d 'Only files last modified before this: a duration ago (3d) or a time (RFC 3339, epoch); under 1h needs --force' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from remove-orphans" -l location -d 'List here instead of the table\'s location (must be under it unless --force)' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from remove-orphans" -l format -d 'Report format [default: table on a terminal, json otherwise]' -r -f -a "table\t'A human-readable table (default when stdout is a terminal)'
json\t'One pretty-printed JSON document (default when stdout is not a terminal)'
ndjson\t'The same document on a single line (scan: one JSON object per row)'
csv\t'Comma-separated values with a header (scan only)'
parquet\t'A Parquet file (scan only; with --out FILE or a redirected stdout)'"
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from remove-orphans" -l endpoint-url -d 'S3 endpoint for S3-compatible stores (implies path-style addressing)' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from remove-orphans" -l region -d 'AWS region [default: from the AWS config chain, else us-east-1]' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from remove-orphans" -l profile -d 'AWS profile from ~/.aws/config and ~/.aws/credentials' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from remove-orphans" -l catalog -d 'Iceberg catalog: a name from the config file, `sqlite:///path.db`, or a REST `http(s)://` URI [default: the config file\'s default-catalog, else sqlite ./warehouse/catalog.db]' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from remove-orphans" -l warehouse -d 'Iceberg warehouse: where new tables go (a directory, file:// or s3:// location; for REST, the catalog\'s warehouse name) [default: from the catalog\'s config, else ./warehouse]' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from remove-orphans" -l plan -d 'List the orphan files without deleting them'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from remove-orphans" -l force -d 'Allow --older-than under an hour (only when no writer can be committing) and a --location outside the table'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from remove-orphans" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from remove-orphans" -s q -l quiet -d 'Only errors on stderr'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from remove-orphans" -l no-progress -d 'Never show progress bars'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from remove-orphans" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from remove-orphans" -s V -l version -d 'Print version'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from rollback" -l to-snapshot -d 'The ancestor of main\'s current snapshot to go back to' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from rollback" -l to-timestamp -d 'Go back to main\'s latest ancestor made at or before this time (RFC 3339, epoch, or a duration ago)' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from rollback" -l format -d 'Report format [default: table on a terminal, json otherwise]' -r -f -a "table\t'A human-readable table (default when stdout is a terminal)'
json\t'One pretty-printed JSON document (default when stdout is not a terminal)'
ndjson\t'The same document on a single line (scan: one JSON object per row)'
csv\t'Comma-separated values with a header (scan only)'
parquet\t'A Parquet file (scan only; with --out FILE or a redirected stdout)'"
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from rollback" -l endpoint-url -d 'S3 endpoint for S3-compatible stores (implies path-style addressing)' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from rollback" -l region -d 'AWS region [default: from the AWS config chain, else us-east-1]' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from rollback" -l profile -d 'AWS profile from ~/.aws/config and ~/.aws/credentials' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from rollback" -l catalog -d 'Iceberg catalog: a name from the config file, `sqlite:///path.db`, or a REST `http(s)://` URI [default: the config file\'s default-catalog, else sqlite ./warehouse/catalog.db]' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from rollback" -l warehouse -d 'Iceberg warehouse: where new tables go (a directory, file:// or s3:// location; for REST, the catalog\'s warehouse name) [default: from the catalog\'s config, else ./warehouse]' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from rollback" -l plan -d 'Show the previous and new snapshot without changing anything'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from rollback" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from rollback" -s q -l quiet -d 'Only errors on stderr'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from rollback" -l no-progress -d 'Never show progress bars'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from rollback" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from rollback" -s V -l version -d 'Print version'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from set-current" -l snapshot-id -d 'The snapshot main should point at' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from set-current" -l ref -d 'Point main at this branch\'s or tag\'s snapshot' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from set-current" -l format -d 'Report format [default: table on a terminal, json otherwise]' -r -f -a "table\t'A human-readable table (default when stdout is a terminal)'
json\t'One pretty-printed JSON document (default when stdout is not a terminal)'
ndjson\t'The same document on a single line (scan: one JSON object per row)'
csv\t'Comma-separated values with a header (scan only)'
parquet\t'A Parquet file (scan only; with --out FILE or a redirected stdout)'"
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from set-current" -l endpoint-url -d 'S3 endpoint for S3-compatible stores (implies path-style addressing)' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from set-current" -l region -d 'AWS region [default: from the AWS config chain, else us-east-1]' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from set-current" -l profile -d 'AWS profile from ~/.aws/config and ~/.aws/credentials' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from set-current" -l catalog -d 'Iceberg catalog: a name from the config file, `sqlite:///path.db`, or a REST `http(s)://` URI [default: the config file\'s default-catalog, else sqlite ./warehouse/catalog.db]' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from set-current" -l warehouse -d 'Iceberg warehouse: where new tables go (a directory, file:// or s3:// location; for REST, the catalog\'s warehouse name) [default: from the catalog\'s config, else ./warehouse]' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from set-current" -l plan -d 'Show the previous and new snapshot without changing anything'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from set-current" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from set-current" -s q -l quiet -d 'Only errors on stderr'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from set-current" -l no-progress -d 'Never show progress bars'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from set-current" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from set-current" -s V -l version -d 'Print version'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from cherry-pick" -l snapshot-id -d 'The append (or dynamic-overwrite) snapshot to apply' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from cherry-pick" -l branch -d 'The branch to apply it to' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from cherry-pick" -l format -d 'Report format [default: table on a terminal, json otherwise]' -r -f -a "table\t'A human-readable table (default when stdout is a terminal)'
json\t'One pretty-printed JSON document (default when stdout is not a terminal)'
ndjson\t'The same document on a single line (scan: one JSON object per row)'
csv\t'Comma-separated values with a header (scan only)'
parquet\t'A Parquet file (scan only; with --out FILE or a redirected stdout)'"
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from cherry-pick" -l endpoint-url -d 'S3 endpoint for S3-compatible stores (implies path-style addressing)' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from cherry-pick" -l region -d 'AWS region [default: from the AWS config chain, else us-east-1]' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from cherry-pick" -l profile -d 'AWS profile from ~/.aws/config and ~/.aws/credentials' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from cherry-pick" -l catalog -d 'Iceberg catalog: a name from the config file, `sqlite:///path.db`, or a REST `http(s)://` URI [default: the config file\'s default-catalog, else sqlite ./warehouse/catalog.db]' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from cherry-pick" -l warehouse -d 'Iceberg warehouse: where new tables go (a directory, file:// or s3:// location; for REST, the catalog\'s warehouse name) [default: from the catalog\'s config, else ./warehouse]' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from cherry-pick" -l plan -d 'Show what would be applied without changing anything'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from cherry-pick" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from cherry-pick" -s q -l quiet -d 'Only errors on stderr'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from cherry-pick" -l no-progress -d 'Never show progress bars'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from cherry-pick" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from cherry-pick" -s V -l version -d 'Print version'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from branch" -l format -d 'Report format [default: table on a terminal, json otherwise]' -r -f -a "table\t'A human-readable table (default when stdout is a terminal)'
json\t'One pretty-printed JSON document (default when stdout is not a terminal)'
ndjson\t'The same document on a single line (scan: one JSON object per row)'
csv\t'Comma-separated values with a header (scan only)'
parquet\t'A Parquet file (scan only; with --out FILE or a redirected stdout)'"
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from branch" -l endpoint-url -d 'S3 endpoint for S3-compatible stores (implies path-style addressing)' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from branch" -l region -d 'AWS region [default: from the AWS config chain, else us-east-1]' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from branch" -l profile -d 'AWS profile from ~/.aws/config and ~/.aws/credentials' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from branch" -l catalog -d 'Iceberg catalog: a name from the config file, `sqlite:///path.db`, or a REST `http(s)://` URI [default: the config file\'s default-catalog, else sqlite ./warehouse/catalog.db]' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from branch" -l warehouse -d 'Iceberg warehouse: where new tables go (a directory, file:// or s3:// location; for REST, the catalog\'s warehouse name) [default: from the catalog\'s config, else ./warehouse]' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from branch" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from branch" -s q -l quiet -d 'Only errors on stderr'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from branch" -l no-progress -d 'Never show progress bars'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from branch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from branch" -s V -l version -d 'Print version'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from branch" -f -a "create" -d 'Create a branch at a snapshot (default: main\'s current one); an identical existing branch is not an error'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from branch" -f -a "drop" -d 'Drop a branch (never main); its snapshots stay until expired'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from branch" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from tag" -l format -d 'Report format [default: table on a terminal, json otherwise]' -r -f -a "table\t'A human-readable table (default when stdout is a terminal)'
json\t'One pretty-printed JSON document (default when stdout is not a terminal)'
ndjson\t'The same document on a single line (scan: one JSON object per row)'
csv\t'Comma-separated values with a header (scan only)'
parquet\t'A Parquet file (scan only; with --out FILE or a redirected stdout)'"
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from tag" -l endpoint-url -d 'S3 endpoint for S3-compatible stores (implies path-style addressing)' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from tag" -l region -d 'AWS region [default: from the AWS config chain, else us-east-1]' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from tag" -l profile -d 'AWS profile from ~/.aws/config and ~/.aws/credentials' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from tag" -l catalog -d 'Iceberg catalog: a name from the config file, `sqlite:///path.db`, or a REST `http(s)://` URI [default: the config file\'s default-catalog, else sqlite ./warehouse/catalog.db]' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from tag" -l warehouse -d 'Iceberg warehouse: where new tables go (a directory, file:// or s3:// location; for REST, the catalog\'s warehouse name) [default: from the catalog\'s config, else ./warehouse]' -r
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from tag" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from tag" -s q -l quiet -d 'Only errors on stderr'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from tag" -l no-progress -d 'Never show progress bars'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from tag" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from tag" -s V -l version -d 'Print version'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from tag" -f -a "create" -d 'Tag a snapshot (default: main\'s current one); an identical existing tag is not an error'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from tag" -f -a "drop" -d 'Drop a tag; its snapshot stays until expired'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from tag" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from help" -f -a "list" -d 'List a branch\'s snapshots, newest first: operation, files and rows added and deleted, refs, commit id'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one snapshot: its full summary, schema id, manifest list and manifests with their counts'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from help" -f -a "refs" -d 'List the table\'s branches and tags with their snapshots and retention settings'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from help" -f -a "expire" -d 'Remove old snapshots (per branch retention) and delete the files only they reached'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from help" -f -a "remove-orphans" -d 'Delete files under the table\'s location that no metadata references and that are old enough'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from help" -f -a "rollback" -d 'Move main back to one of its ancestors'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from help" -f -a "set-current" -d 'Point main at any snapshot of the table (a ref\'s, or one by id)'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from help" -f -a "cherry-pick" -d 'Apply an append snapshot from another branch onto a branch as a new snapshot'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from help" -f -a "branch" -d 'Create or drop a branch'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from help" -f -a "tag" -d 'Create or drop a tag'
complete -c prestige -n "__fish_prestige_using_subcommand snapshot; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c prestige -n "__fish_prestige_using_subcommand publish" -l branch -d 'The branch to publish onto main (with --wap-id: where to look for the snapshot)' -r
complete -c prestige -n "__fish_prestige_using_subcommand publish" -l wap-id -d 'Publish only the snapshot whose summary carries this wap.id (refused when none or several do)' -r
complete -c prestige -n "__fish_prestige_using_subcommand publish" -l format -d 'Report format [default: table on a terminal, json otherwise]' -r -f -a "table\t'A human-readable table (default when stdout is a terminal)'
json\t'One pretty-printed JSON document (default when stdout is not a terminal)'
ndjson\t'The same document on a single line (scan: one JSON object per row)'
csv\t'Comma-separated values with a header (scan only)'
parquet\t'A Parquet file (scan only; with --out FILE or a redirected stdout)'"
complete -c prestige -n "__fish_prestige_using_subcommand publish" -l endpoint-url -d 'S3 endpoint for S3-compatible stores (implies path-style addressing)' -r
complete -c prestige -n "__fish_prestige_using_subcommand publish" -l region -d 'AWS region [default: from the AWS config chain, else us-east-1]' -r
complete -c prestige -n "__fish_prestige_using_subcommand publish" -l profile -d 'AWS profile from ~/.aws/config and ~/.aws/credentials' -r
complete -c prestige -n "__fish_prestige_using_subcommand publish" -l catalog -d 'Iceberg catalog: a name from the config file, `sqlite:///path.db`, or a REST `http(s)://` URI [default: the config file\'s default-catalog, else sqlite ./warehouse/catalog.db]' -r
complete -c prestige -n "__fish_prestige_using_subcommand publish" -l warehouse -d 'Iceberg warehouse: where new tables go (a directory, file:// or s3:// location; for REST, the catalog\'s warehouse name) [default: from the catalog\'s config, else ./warehouse]' -r
complete -c prestige -n "__fish_prestige_using_subcommand publish" -l cherry-pick -d 'When main has moved since the branch was cut, replay the branch\'s append snapshots onto main instead of refusing'
complete -c prestige -n "__fish_prestige_using_subcommand publish" -l plan -d 'Show what would move (the same report fields) without changing anything'
complete -c prestige -n "__fish_prestige_using_subcommand publish" -s v -l verbose -d 'More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides'
complete -c prestige -n "__fish_prestige_using_subcommand publish" -s q -l quiet -d 'Only errors on stderr'
complete -c prestige -n "__fish_prestige_using_subcommand publish" -l no-progress -d 'Never show progress bars'
complete -c prestige -n "__fish_prestige_using_subcommand publish" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c prestige -n "__fish_prestige_using_subcommand publish" -s V -l version -d 'Print version'
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
complete -c prestige -n "__fish_prestige_using_subcommand help; and not __fish_seen_subcommand_from ingest upload compact scan watch table snapshot publish completions generate-assets help" -f -a "ingest" -d 'Load NDJSON into rotating Parquet files in a local directory or on S3, or append it to an Iceberg table'
complete -c prestige -n "__fish_prestige_using_subcommand help; and not __fish_seen_subcommand_from ingest upload compact scan watch table snapshot publish completions generate-assets help" -f -a "upload" -d 'Upload finished files to S3: concurrent, multipart, retried, verified'
complete -c prestige -n "__fish_prestige_using_subcommand help; and not __fish_seen_subcommand_from ingest upload compact scan watch table snapshot publish completions generate-assets help" -f -a "compact" -d 'Merge a prefix\'s small Parquet files into target-sized files, crash-safely'
complete -c prestige -n "__fish_prestige_using_subcommand help; and not __fish_seen_subcommand_from ingest upload compact scan watch table snapshot publish completions generate-assets help" -f -a "scan" -d 'Read Parquet files (local or S3) or an Iceberg table (--table): projection, SQL filters, time travel'
complete -c prestige -n "__fish_prestige_using_subcommand help; and not __fish_seen_subcommand_from ingest upload compact scan watch table snapshot publish completions generate-assets help" -f -a "watch" -d 'Poll a local directory or S3 prefix and print one NDJSON event per new file'
complete -c prestige -n "__fish_prestige_using_subcommand help; and not __fish_seen_subcommand_from ingest upload compact scan watch table snapshot publish completions generate-assets help" -f -a "table" -d 'Iceberg tables: list, show, create, drop, set properties'
complete -c prestige -n "__fish_prestige_using_subcommand help; and not __fish_seen_subcommand_from ingest upload compact scan watch table snapshot publish completions generate-assets help" -f -a "snapshot" -d 'Iceberg snapshots: list, show, refs; expire, remove orphans, rollback, set-current, cherry-pick, branches, tags'
complete -c prestige -n "__fish_prestige_using_subcommand help; and not __fish_seen_subcommand_from ingest upload compact scan watch table snapshot publish completions generate-assets help" -f -a "publish" -d 'Write-audit-publish: make an audited branch (or the snapshot carrying a WAP id) visible on main'
complete -c prestige -n "__fish_prestige_using_subcommand help; and not __fish_seen_subcommand_from ingest upload compact scan watch table snapshot publish completions generate-assets help" -f -a "completions" -d 'Print a shell completion script'
complete -c prestige -n "__fish_prestige_using_subcommand help; and not __fish_seen_subcommand_from ingest upload compact scan watch table snapshot publish completions generate-assets help" -f -a "generate-assets" -d 'Write completions and man pages into a directory (used to refresh completions/ and man/)'
complete -c prestige -n "__fish_prestige_using_subcommand help; and not __fish_seen_subcommand_from ingest upload compact scan watch table snapshot publish completions generate-assets help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c prestige -n "__fish_prestige_using_subcommand help; and __fish_seen_subcommand_from table" -f -a "list" -d 'List namespaces (recursively) and their tables'
complete -c prestige -n "__fish_prestige_using_subcommand help; and __fish_seen_subcommand_from table" -f -a "show" -d 'Show a table: schema, partition spec, sort order, properties, refs, current snapshot and health'
complete -c prestige -n "__fish_prestige_using_subcommand help; and __fish_seen_subcommand_from table" -f -a "create" -d 'Create a table from a schema file (the namespace is created when missing)'
complete -c prestige -n "__fish_prestige_using_subcommand help; and __fish_seen_subcommand_from table" -f -a "drop" -d 'Remove a table from the catalog; its files stay unless --purge'
complete -c prestige -n "__fish_prestige_using_subcommand help; and __fish_seen_subcommand_from table" -f -a "properties" -d 'Set or unset table properties (one commit)'
complete -c prestige -n "__fish_prestige_using_subcommand help; and __fish_seen_subcommand_from snapshot" -f -a "list" -d 'List a branch\'s snapshots, newest first: operation, files and rows added and deleted, refs, commit id'
complete -c prestige -n "__fish_prestige_using_subcommand help; and __fish_seen_subcommand_from snapshot" -f -a "show" -d 'Show one snapshot: its full summary, schema id, manifest list and manifests with their counts'
complete -c prestige -n "__fish_prestige_using_subcommand help; and __fish_seen_subcommand_from snapshot" -f -a "refs" -d 'List the table\'s branches and tags with their snapshots and retention settings'
complete -c prestige -n "__fish_prestige_using_subcommand help; and __fish_seen_subcommand_from snapshot" -f -a "expire" -d 'Remove old snapshots (per branch retention) and delete the files only they reached'
complete -c prestige -n "__fish_prestige_using_subcommand help; and __fish_seen_subcommand_from snapshot" -f -a "remove-orphans" -d 'Delete files under the table\'s location that no metadata references and that are old enough'
complete -c prestige -n "__fish_prestige_using_subcommand help; and __fish_seen_subcommand_from snapshot" -f -a "rollback" -d 'Move main back to one of its ancestors'
complete -c prestige -n "__fish_prestige_using_subcommand help; and __fish_seen_subcommand_from snapshot" -f -a "set-current" -d 'Point main at any snapshot of the table (a ref\'s, or one by id)'
complete -c prestige -n "__fish_prestige_using_subcommand help; and __fish_seen_subcommand_from snapshot" -f -a "cherry-pick" -d 'Apply an append snapshot from another branch onto a branch as a new snapshot'
complete -c prestige -n "__fish_prestige_using_subcommand help; and __fish_seen_subcommand_from snapshot" -f -a "branch" -d 'Create or drop a branch'
complete -c prestige -n "__fish_prestige_using_subcommand help; and __fish_seen_subcommand_from snapshot" -f -a "tag" -d 'Create or drop a tag'
