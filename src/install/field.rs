//! `joist field <table> <column>`: the column's migration, the entity attribute, the field
//! declaration, and the form and controller snippets to paste.

use std::{fmt::Write, path::Path};

use super::{InstallError, Plan, edit, render};

const MIGRATION: &str = include_str!("../../templates/field_migration.rs");
const FORM: &str = include_str!("../../templates/field_form.html");
const CONTROLLER: &str = include_str!("../../templates/field_controller.rs");
const FIELDS_MARKER: &str = "    // joist-fields (do not remove)";

/// The field to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldSpec {
    /// The model's table, e.g. `users`.
    pub table: String,
    /// The new column, e.g. `avatar`.
    pub column: String,
    /// The largest file, e.g. `10MiB` (any `joist` size).
    pub max_size: Option<String>,
    /// Accepted content types, e.g. `image/*`.
    pub accept: Vec<String>,
    /// Anyone may upload, not only signed-in users.
    pub public: bool,
}

impl FieldSpec {
    /// The field's name: `table.column`.
    #[must_use]
    pub fn name(&self) -> String {
        format!("{}.{}", self.table, self.column)
    }

    fn validate(&self) -> Result<(), InstallError> {
        for (what, value) in [("table", &self.table), ("column", &self.column)] {
            let valid = value.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                && value
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !valid {
                return Err(InstallError::BadArgument(format!(
                    "{what} `{value}`: use snake_case letters, digits and `_`"
                )));
            }
        }
        if let Some(size) = &self.max_size {
            crate::config::byte_size::parse(size).map_err(|error| {
                InstallError::BadArgument(format!("--max-size `{size}`: {error}"))
            })?;
        }
        Ok(())
    }

    /// The field's declaration in `src/uploads.rs`.
    fn declaration(&self) -> String {
        let mut declaration = format!("        .with(joist::Field::new(\"{}\")", self.name());
        if let Some(size) = &self.max_size {
            let bytes = crate::config::byte_size::parse(size).unwrap_or_default();
            let _ = write!(declaration, ".max_size({bytes})");
        }
        if !self.accept.is_empty() {
            let patterns: Vec<_> = self
                .accept
                .iter()
                .map(|pattern| format!("{pattern:?}"))
                .collect();
            let _ = write!(declaration, ".accept([{}])", patterns.join(", "));
        }
        if self.public {
            declaration.push_str(".public()");
        }
        declaration.push_str(")\n");
        declaration
    }
}

/// What `joist field` planned, and the snippets to paste.
#[derive(Debug)]
pub struct AddedField {
    /// The file changes.
    pub plan: Plan,
    /// The Tera line for the form.
    pub form_snippet: String,
    /// The lines for the controller that saves the form.
    pub controller_snippet: String,
}

/// Plans adding `spec` to the app in `root`; `timestamp` (`YYYYMMDD_HHMMSS`) names a new
/// migration.
///
/// # Errors
/// When joist is not installed, an argument is not valid, or a file is not recognised.
pub fn add_field(
    root: &Path,
    spec: &FieldSpec,
    timestamp: &str,
) -> Result<AddedField, InstallError> {
    spec.validate()?;
    let mut plan = Plan::new(root);
    if !plan.exists("src/uploads.rs") {
        return Err(InstallError::NotInstalled);
    }
    declare(&mut plan, spec)?;
    migration(&mut plan, spec, timestamp)?;
    entity(&mut plan, spec)?;
    let values = [
        ("field", spec.name()),
        ("table", spec.table.clone()),
        ("column", spec.column.clone()),
        ("label", spec.column.replace('_', " ")),
    ];
    let values: Vec<(&str, &str)> = values
        .iter()
        .map(|(name, value)| (*name, value.as_str()))
        .collect();
    Ok(AddedField {
        plan,
        form_snippet: render(FORM, &values),
        controller_snippet: render(CONTROLLER, &values),
    })
}

fn declare(plan: &mut Plan, spec: &FieldSpec) -> Result<(), InstallError> {
    const FILE: &str = "src/uploads.rs";
    let uploads = plan.read(FILE)?;
    if uploads.contains(&format!("Field::new(\"{}\")", spec.name())) {
        plan.skip(format!("{FILE}: the {} field", spec.name()));
        return Ok(());
    }
    let updated = edit::insert_before(FILE, &uploads, 0, FIELDS_MARKER, &spec.declaration())?;
    plan.write(
        FILE,
        updated,
        format!("{FILE}: declared the {} field", spec.name()),
    );
    Ok(())
}

fn migration(plan: &mut Plan, spec: &FieldSpec, timestamp: &str) -> Result<(), InstallError> {
    const LIB: &str = "migration/src/lib.rs";
    let suffix = format!("_add_{}_to_{}", spec.column, spec.table);
    let lib = plan.read(LIB)?;
    if lib.contains(&format!("{suffix};")) {
        plan.skip(format!("{LIB}: the {suffix} migration"));
        return Ok(());
    }
    let module = format!("m{timestamp}{suffix}");
    let file = format!("migration/src/{module}.rs");
    let values = [
        ("table", spec.table.as_str()),
        ("column", spec.column.as_str()),
        ("field", &spec.name()),
    ];
    plan.write(
        &file,
        render(MIGRATION, &values),
        format!("{file}: adds the {} column", spec.column),
    );
    let last_mod = lib
        .match_indices("\nmod m")
        .last()
        .map(|(at, _)| at + 1)
        .ok_or_else(|| InstallError::Unrecognised {
            file: LIB.into(),
            expected: "a `mod m…;` line".into(),
        })?;
    let lib = edit::insert_after(LIB, &lib, last_mod, ";\n", &format!("mod {module};\n"))?;
    let marker = edit::position(LIB, &lib, "// inject-above")?;
    let line_start = lib[..marker].rfind('\n').map_or(0, |at| at + 1);
    let indent = &lib[line_start..marker];
    let lib = format!(
        "{}{indent}Box::new({module}::Migration),\n{}",
        &lib[..line_start],
        &lib[line_start..]
    );
    plan.write(LIB, lib, format!("{LIB}: registered {module}"));
    Ok(())
}

fn entity(plan: &mut Plan, spec: &FieldSpec) -> Result<(), InstallError> {
    let file = format!("src/models/_entities/{}.rs", spec.table);
    if !plan.exists(&file) {
        plan.skip(format!(
            "{file}: no entity yet; add `{}: Option<joist::S3File>` to it once generated",
            spec.column
        ));
        return Ok(());
    }
    let entity = plan.read(&file)?;
    if entity.contains(&format!("pub {}:", spec.column)) {
        plan.skip(format!("{file}: the {} attribute", spec.column));
        return Ok(());
    }
    let model = edit::position(&file, &entity, "pub struct Model {")?;
    let updated = edit::insert_before(
        &file,
        &entity,
        model,
        "\n}",
        &format!(
            "\n    #[sea_orm(column_type = \"Text\", nullable)]\n    pub {}: Option<joist::S3File>,",
            spec.column
        ),
    )?;
    plan.write(
        &file,
        updated,
        format!("{file}: added `{}: Option<joist::S3File>`", spec.column),
    );
    Ok(())
}
