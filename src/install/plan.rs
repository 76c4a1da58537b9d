//! A set of file changes, worked out in full before any is written, so an app the installer
//! cannot read gets no half-applied change.

use std::path::{Path, PathBuf};

use super::InstallError;

/// One file's change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The file, relative to the app's folder.
    pub path: PathBuf,
    /// What the change does, for the summary.
    pub summary: String,
    /// The file's new content.
    pub content: String,
    /// Whether the file is new.
    pub created: bool,
}

/// The changes a command makes, in order, and what it skipped because it was done before.
#[derive(Debug, Default)]
pub struct Plan {
    root: PathBuf,
    changes: Vec<Change>,
    /// What was already in place.
    pub already_done: Vec<String>,
}

impl Plan {
    /// An empty plan for the app in `root`.
    #[must_use]
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
            ..Self::default()
        }
    }

    /// The changes so far.
    #[must_use]
    pub fn changes(&self) -> &[Change] {
        &self.changes
    }

    /// The content `path` will have: the planned change, else the file on disk.
    ///
    /// # Errors
    /// [`InstallError::Missing`] when the file does not exist.
    pub fn read(&self, path: &str) -> Result<String, InstallError> {
        if let Some(change) = self
            .changes
            .iter()
            .rev()
            .find(|change| change.path == Path::new(path))
        {
            return Ok(change.content.clone());
        }
        std::fs::read_to_string(self.root.join(path))
            .map_err(|_| InstallError::Missing(path.to_string()))
    }

    /// Whether `path` exists (on disk or planned).
    #[must_use]
    pub fn exists(&self, path: &str) -> bool {
        self.changes
            .iter()
            .any(|change| change.path == Path::new(path))
            || self.root.join(path).exists()
    }

    /// Plans `path` to hold `content`; a no-op when it already does.
    pub fn write(&mut self, path: &str, content: String, summary: impl Into<String>) {
        let summary = summary.into();
        let created = !self.exists(path);
        if !created && self.read(path).is_ok_and(|current| current == content) {
            self.already_done.push(summary);
            return;
        }
        self.changes.push(Change {
            path: PathBuf::from(path),
            summary,
            content,
            created,
        });
    }

    /// Notes that `summary` was already in place.
    pub fn skip(&mut self, summary: impl Into<String>) {
        self.already_done.push(summary.into());
    }

    /// Writes every change (each through a temporary file renamed into place).
    ///
    /// # Errors
    /// When a file cannot be written.
    pub fn apply(&self) -> Result<(), InstallError> {
        for change in &self.changes {
            let path = self.root.join(&change.path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|error| InstallError::Write(change.path.clone(), error))?;
            }
            let temporary = path.with_extension("joist-tmp");
            std::fs::write(&temporary, &change.content)
                .and_then(|()| std::fs::rename(&temporary, &path))
                .map_err(|error| InstallError::Write(change.path.clone(), error))?;
        }
        Ok(())
    }
}
