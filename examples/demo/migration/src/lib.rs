//! The demo's migrations: its own, then joist's.

mod m20261125_000001_cars;
mod m20261125_000002_photos;

pub use sea_orm_migration::prelude::*;

/// The demo's migrator.
pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut migrations: Vec<Box<dyn MigrationTrait>> = vec![
            Box::new(m20261125_000001_cars::Migration),
            Box::new(m20261125_000002_photos::Migration),
        ];
        migrations.extend(joist_migration::migrations());
        migrations
    }
}
