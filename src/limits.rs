//! Abuse limits on `prepare`: how often one owner (or one client address) may prepare, counted
//! per app process in fixed one-minute windows.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

/// One minute, the window `prepare_rate_limit` counts in.
const WINDOW: Duration = Duration::from_mins(1);
/// Past this many tracked clients, finished windows are dropped.
const PRUNE_AT: usize = 10_000;

/// Counts calls per client key in one-minute windows.
#[derive(Debug)]
pub struct RateLimiter {
    limit: u32,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimiter {
    /// A limiter allowing `limit` calls per minute per key; 0 allows any number.
    #[must_use]
    pub fn per_minute(limit: u32) -> Self {
        Self {
            limit,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a call by `key` at `now`. `Err` holds how long until the key may call again.
    ///
    /// # Errors
    /// The wait, when `key` used up its calls in the current window.
    pub fn check(&self, key: &str, now: Instant) -> Result<(), Duration> {
        if self.limit == 0 {
            return Ok(());
        }
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if windows.len() >= PRUNE_AT {
            windows.retain(|_, (started, _)| now.duration_since(*started) < WINDOW);
        }
        let (started, count) = windows.entry(key.to_string()).or_insert((now, 0));
        if now.duration_since(*started) >= WINDOW {
            *started = now;
            *count = 0;
        }
        if *count >= self.limit {
            return Err(WINDOW.saturating_sub(now.duration_since(*started)));
        }
        *count += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_the_limit_per_window_per_key() {
        let limiter = RateLimiter::per_minute(2);
        let start = Instant::now();
        assert_eq!(limiter.check("a", start), Ok(()));
        assert_eq!(limiter.check("a", start), Ok(()));
        assert_eq!(
            limiter.check("a", start + Duration::from_secs(20)),
            Err(Duration::from_secs(40))
        );
        assert_eq!(
            limiter.check("b", start),
            Ok(()),
            "another key counts apart"
        );
        assert_eq!(limiter.check("a", start + WINDOW), Ok(()), "a new window");
    }

    #[test]
    fn zero_is_unlimited() {
        let limiter = RateLimiter::per_minute(0);
        for _ in 0..1000 {
            assert_eq!(limiter.check("a", Instant::now()), Ok(()));
        }
    }
}
