//! `joist install` and `joist field`: wire joist into a Loco app, add upload fields to its models.
//!
//! Every change is worked out in full before any file is written ([`Plan`]); an app the installer
//! cannot read gets a message naming the file and what was expected, and no change. Running a
//! command twice changes nothing the second time.

mod app;
mod edit;
mod field;
mod plan;

use std::path::PathBuf;

pub use app::install;
pub use field::{FieldSpec, add_field};
pub use plan::{Change, Plan};

/// Why a command could not run.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// The folder is not a Loco app (no `Cargo.toml` depending on `loco-rs`, no `src/app.rs`).
    #[error("{0} does not look like a Loco app: {1}")]
    NotALocoApp(String, &'static str),
    /// A file the command edits is missing.
    #[error("`{0}` is missing; nothing was changed")]
    Missing(String),
    /// A file does not hold what the command recognises; nothing was changed.
    #[error(
        "`{file}`: could not find {expected}; nothing was changed. Add it by hand (see the README, \"Add joist to a Loco app\")"
    )]
    Unrecognised {
        /// The file.
        file: String,
        /// What was looked for.
        expected: String,
    },
    /// `joist field` ran before `joist install`.
    #[error("`src/uploads.rs` is missing: run `joist install` first")]
    NotInstalled,
    /// A field argument is not valid.
    #[error("{0}")]
    BadArgument(String),
    /// A file could not be written.
    #[error("could not write `{path}`: {1}", path = .0.display())]
    Write(PathBuf, std::io::Error),
}

/// Where the app gets joist from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A local checkout (the folder holding joist's `Cargo.toml`).
    Path(String),
    /// A git repository.
    Git(String),
    /// A crates.io version requirement.
    Version(String),
}

impl Source {
    /// The checkout this installer was built from.
    #[must_use]
    pub fn this_checkout() -> Self {
        Self::Path(env!("CARGO_MANIFEST_DIR").to_string())
    }

    /// The dependency line for `crate_name`, which lives in `subfolder` of a checkout.
    /// The dependency line for `crate_name` (in `subfolder` of a path source), with `features`.
    fn dependency(&self, crate_name: &str, subfolder: &str, features: &[&str]) -> String {
        let features = if features.is_empty() {
            String::new()
        } else {
            let quoted: Vec<String> = features.iter().map(|name| format!("\"{name}\"")).collect();
            format!(", features = [{}]", quoted.join(", "))
        };
        match self {
            Self::Path(root) => {
                let path = if subfolder.is_empty() {
                    root.clone()
                } else {
                    format!("{root}/{subfolder}")
                };
                format!("{crate_name} = {{ path = \"{path}\"{features} }}")
            }
            Self::Git(url) => format!("{crate_name} = {{ git = \"{url}\"{features} }}"),
            Self::Version(version) if features.is_empty() => {
                format!("{crate_name} = \"{version}\"")
            }
            Self::Version(version) => {
                format!("{crate_name} = {{ version = \"{version}\"{features} }}")
            }
        }
    }
}

/// `template` with every `{{name}}` replaced by its value.
fn render(template: &str, values: &[(&str, &str)]) -> String {
    values
        .iter()
        .fold(template.to_string(), |text, (name, value)| {
            text.replace(&format!("{{{{{name}}}}}"), value)
        })
}
