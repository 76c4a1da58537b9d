//! The app's context as joist's routes hold it: copied once, when the routes are made.
//!
//! axum hands every request a clone of its router's state, `State<AppContext>` clones it again,
//! and a loco `AppContext` clones its whole `Config` (a few hundred strings and maps): a third of
//! a single-PUT `prepare`'s instructions went to those copies and their drops (BENCHMARKS.md).
//! joist's routes carry a [`SharedContext`] of their own instead, so a request clones an `Arc`. `Hooks::routes` gets the same context the router is
//! later given, and everything in it that changes while the app runs (its pool, shared store,
//! cache, queue) is shared behind handles that both copies hold.

use std::{ops::Deref, sync::Arc};

use axum::routing::MethodRouter;
use loco_rs::app::AppContext;

/// An `AppContext` behind an `Arc`: the state of joist's handlers, read through `Deref`.
#[derive(Clone)]
pub struct SharedContext(Arc<AppContext>);

impl SharedContext {
    pub fn new(ctx: &AppContext) -> Self {
        Self(Arc::new(ctx.clone()))
    }

    /// `route` with this context as its state, ready for loco's router.
    pub fn serve(&self, route: MethodRouter<Self>) -> MethodRouter<AppContext> {
        route.with_state(self.clone())
    }
}

impl Deref for SharedContext {
    type Target = AppContext;

    fn deref(&self) -> &AppContext {
        &self.0
    }
}
