//! Shell completions and man pages, generated from the clap definitions.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use clap_complete::Shell;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to generate for
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Directory that receives completions/ and man/
    pub out: PathBuf,
}

pub fn completions(a: CompletionsArgs) -> anyhow::Result<ExitCode> {
    // clap_complete panics when its writer fails: generate into memory, then write (a closed pipe is an error).
    let mut script = Vec::new();
    clap_complete::generate(a.shell, &mut super::cli(), "prestige", &mut script);
    let mut out = std::io::stdout().lock();
    out.write_all(&script)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

pub fn generate(a: GenerateArgs) -> anyhow::Result<ExitCode> {
    let comp = a.out.join("completions");
    let man = a.out.join("man");
    std::fs::create_dir_all(&comp).with_context(|| format!("create {}", comp.display()))?;
    std::fs::create_dir_all(&man).with_context(|| format!("create {}", man.display()))?;
    let mut cmd = super::cli();
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        clap_complete::generate_to(shell, &mut cmd, "prestige", &comp)
            .with_context(|| format!("write {shell} completions"))?;
    }
    cmd.build();
    write_man(&cmd, "prestige", &man)?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set() && s.get_name() != "help") {
        write_man(sub, &format!("prestige-{}", sub.get_name()), &man)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn write_man(cmd: &clap::Command, name: &str, dir: &std::path::Path) -> anyhow::Result<()> {
    let cmd = cmd.clone().name(name.to_string());
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd).render(&mut buf)?;
    let path = dir.join(format!("{name}.1"));
    std::fs::write(&path, buf).with_context(|| format!("write {}", path.display()))
}
