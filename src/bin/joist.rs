//! `joist`: wires joist into a Loco app (`joist install`) and adds upload fields to its models
//! (`joist field users avatar`). Run it in the app's folder.

use std::{path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};
use joist::install::{self, FieldSpec, Plan, Source};

#[derive(Parser)]
#[command(
    name = "joist",
    version,
    about = "Direct uploads to S3 for Loco apps: install and add fields"
)]
struct Cli {
    /// The Loco app's folder.
    #[arg(long, global = true, default_value = ".")]
    app: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Wires joist into the app: dependency, migrations, initializer, routes, Tera functions,
    /// workers, tasks and config.
    Install {
        /// Take joist from this git repository instead of this installer's checkout.
        #[arg(long, conflicts_with = "version")]
        git: Option<String>,
        /// Take joist from crates.io at this version requirement.
        #[arg(long)]
        version: Option<String>,
    },
    /// Adds an upload field to a model: the column's migration, the entity attribute, the field
    /// declaration, and prints the form and controller lines to paste.
    Field {
        /// The model's table, e.g. `users`.
        table: String,
        /// The new column, e.g. `avatar`.
        column: String,
        /// The largest file, e.g. `10MiB`.
        #[arg(long)]
        max_size: Option<String>,
        /// Accepted content types, comma-separated, e.g. `image/*,application/pdf`.
        #[arg(long, value_delimiter = ',')]
        accept: Vec<String>,
        /// Anyone may upload, not only signed-in users.
        #[arg(long)]
        public: bool,
    },
}

/// Prints to stdout: this is a command-line tool's output.
#[allow(clippy::print_stdout)]
fn say(text: &str) {
    println!("{text}");
}

fn report(plan: &Plan) {
    if plan.changes().is_empty() {
        say("nothing to change: already in place");
    }
    for change in plan.changes() {
        let verb = if change.created { "created" } else { "changed" };
        say(&format!("  {verb:8} {}", change.summary));
    }
    for done in &plan.already_done {
        say(&format!("  {:8} {done}", "kept"));
    }
}

fn run(cli: Cli) -> Result<(), install::InstallError> {
    match cli.command {
        Command::Install { git, version } => {
            let source = match (git, version) {
                (Some(url), _) => Source::Git(url),
                (None, Some(version)) => Source::Version(version),
                (None, None) => Source::this_checkout(),
            };
            let plan = install::install(&cli.app, &source)?;
            plan.apply()?;
            report(&plan);
            if !plan.changes().is_empty() {
                say(
                    "\nnext steps:\n  joist field <table> <column>     add an upload field to a model\n  \
                     cargo loco start                 then open /admin/joist (development only)\n  \
                     cargo loco task joist:doctor     check the store, CORS and credentials",
                );
            }
        }
        Command::Field {
            table,
            column,
            max_size,
            accept,
            public,
        } => {
            let spec = FieldSpec {
                table,
                column,
                max_size,
                accept,
                public,
            };
            let timestamp = chrono::Utc::now().format("%Y%m%d_%H%M%S").to_string();
            let added = install::add_field(&cli.app, &spec, &timestamp)?;
            added.plan.apply()?;
            report(&added.plan);
            say(&format!(
                "\nin the form:\n{}\n{}",
                added.form_snippet.trim_end(),
                added.controller_snippet.trim_end()
            ));
            if !added.plan.changes().is_empty() {
                say("\nthen: cargo loco db migrate");
            }
        }
    }
    Ok(())
}

#[allow(clippy::print_stderr)]
fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("joist: {error}");
            ExitCode::FAILURE
        }
    }
}
