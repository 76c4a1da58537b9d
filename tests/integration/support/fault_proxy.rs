//! A TCP proxy in front of a store that injects faults: it can be down (every connection
//! and open ones cut), drop every n-th connection mid-request, or stall every m-th one.

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU32, Ordering},
    },
    time::Duration,
};

use tokio::{
    io::AsyncReadExt,
    net::{TcpListener, TcpStream},
    sync::Notify,
};

#[derive(Default)]
struct Faults {
    down: AtomicBool,
    reset_every: AtomicU32,
    stall_every: AtomicU32,
    connections: AtomicU32,
    injected: AtomicU32,
    went_down: Notify,
}

/// The proxy; it stops when dropped.
pub struct FaultProxy {
    /// `http://127.0.0.1:port`.
    pub url: String,
    faults: Arc<Faults>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn every(n: u32, count: u32) -> bool {
    n > 0 && count % n == n - 1
}

async fn serve(mut client: TcpStream, upstream: SocketAddr, faults: &Faults) {
    let count = faults.connections.fetch_add(1, Ordering::SeqCst);
    if faults.down.load(Ordering::SeqCst) {
        return;
    }
    let reset = every(faults.reset_every.load(Ordering::SeqCst), count);
    let stall = !reset && every(faults.stall_every.load(Ordering::SeqCst), count);
    if reset || stall {
        faults.injected.fetch_add(1, Ordering::SeqCst);
        let mut request_start = vec![0; 64 << 10];
        let _ = client.read(&mut request_start).await;
        if stall {
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
        return;
    }
    if let Ok(mut store) = TcpStream::connect(upstream).await {
        // Kept-alive connections are cut too when the store goes down.
        tokio::select! {
            _ = tokio::io::copy_bidirectional(&mut client, &mut store) => {}
            () = faults.went_down.notified() => {}
        }
    }
}

impl FaultProxy {
    /// Starts a proxy to `upstream` that passes everything through.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let url = format!("http://{}", listener.local_addr().expect("an address"));
        let faults = Arc::new(Faults::default());
        let shared = Arc::clone(&faults);
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let faults = Arc::clone(&shared);
                tokio::spawn(async move { serve(client, upstream, &faults).await });
            }
        });
        Self { url, faults, task }
    }

    /// Drops every new connection at once (the store is "stopped"), or passes them again.
    pub fn set_down(&self, down: bool) {
        self.faults.down.store(down, Ordering::SeqCst);
        if down {
            self.faults.went_down.notify_waiters();
        }
    }

    /// Drops every `n`-th connection after reading its request's start (0: none).
    pub fn reset_every(&self, n: u32) {
        self.faults.reset_every.store(n, Ordering::SeqCst);
    }

    /// Holds every `n`-th connection for 5 s, then drops it (0: none).
    pub fn stall_every(&self, n: u32) {
        self.faults.stall_every.store(n, Ordering::SeqCst);
    }

    /// How many connections came, and how many got a fault.
    pub fn counts(&self) -> (u32, u32) {
        (
            self.faults.connections.load(Ordering::SeqCst),
            self.faults.injected.load(Ordering::SeqCst),
        )
    }
}
