//! A load client for joist's API, for BENCHMARKS.md: `prepare` (or `finalize` of uploads it makes
//! first, single or multipart) against a running app, at one concurrency, bounded in count;
//! prints requests per second, p50, p99 and the mean response size. Loopback only. With
//! `LOAD_SERVER_PID` set to the app's process id, also the app's CPU time per timed request
//! (utime + stime from `/proc`, Linux); with `LOAD_CPU_OF` (`name=PID[,PID…] …`, e.g.
//! `store=4242 database=5151,5152`), each named group's too, and the load client's own, so a
//! row shows where all of the machine's CPU went.
//!
//! ```sh
//! cargo run --release --example load -- http://127.0.0.1:5150 prepare 5TiB 16 2000
//! cargo run --release --example load -- http://127.0.0.1:5150 finalize 10MiB 16 100
//! ```

use std::{
    fmt::Write as _,
    io::Write,
    time::{Duration, Instant},
};

use futures::{StreamExt, stream};
use serde_json::{Value, json};

/// The demo's field without a size limit of its own (S3's 5 TiB applies).
const FIELD: &str = "backup.archive";

struct Run {
    base: String,
    mode: String,
    size: u64,
    concurrency: usize,
    requests: usize,
}

fn arguments() -> Run {
    let args: Vec<String> = std::env::args().skip(1).collect();
    assert!(
        args.len() == 5,
        "usage: load BASE_URL prepare|finalize SIZE CONCURRENCY REQUESTS"
    );
    assert!(
        args[0].starts_with("http://127.0.0.1") || args[0].starts_with("http://localhost"),
        "loopback only"
    );
    Run {
        base: args[0].clone(),
        mode: args[1].clone(),
        size: joist::config::byte_size::parse(&args[2]).expect("a size such as 10MiB"),
        concurrency: args[3].parse().expect("a concurrency"),
        requests: args[4].parse().expect("a request count"),
    }
}

async fn post(client: &reqwest::Client, url: &str, body: &Value) -> (u16, Vec<u8>) {
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .body(serde_json::to_vec(body).expect("JSON"))
        .send()
        .await
        .expect("the app answers");
    let status = response.status().as_u16();
    (status, response.bytes().await.expect("a body").to_vec())
}

fn prepare_body(size: u64, n: usize) -> Value {
    json!({"field": FIELD, "filename": format!("load-{n}.bin"), "size": size, "content_type": "application/octet-stream"})
}

/// PUTs `bytes` to a part URL with the headers it names.
async fn put(client: &reqwest::Client, part: &Value, bytes: Vec<u8>) {
    let mut put = client.put(part["url"].as_str().expect("a URL")).body(bytes);
    for (name, value) in part["headers"].as_object().expect("headers") {
        put = put.header(name, value.as_str().expect("a header"));
    }
    let status = put.send().await.expect("the store answers").status();
    assert_eq!(status.as_u16(), 200, "a part PUT");
}

/// Prepares and PUTs `count` uploads of `size` bytes (in one PUT or in parts, four at a time);
/// returns their finalize bodies.
async fn uploaded(client: &reqwest::Client, run: &Run, count: usize) -> Vec<Value> {
    let content = vec![b'j'; usize::try_from(run.size).expect("a size that fits memory")];
    let mut bodies = Vec::with_capacity(count);
    for n in 0..count {
        let (status, body) = post(
            client,
            &format!("{}/api/joist/prepare", run.base),
            &prepare_body(run.size, n),
        )
        .await;
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
        let prepared: Value = serde_json::from_slice(&body).expect("JSON");
        let part_size = usize::try_from(prepared["part_size"].as_u64().expect("a part size"))
            .expect("a part size that fits");
        let part_count = prepared["part_count"].as_u64().expect("a part count");
        let window = prepared["parts"].as_array().expect("parts").len().max(1) as u64;
        for first in (1..=part_count).step_by(usize::try_from(window).unwrap_or(1)) {
            let numbers: Vec<u64> = (first..(first + window).min(part_count + 1)).collect();
            let (status, body) = post(
                client,
                &format!("{}/api/joist/parts", run.base),
                &json!({"token": prepared["token"], "numbers": numbers}),
            )
            .await;
            assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
            let signed: Value = serde_json::from_slice(&body).expect("JSON");
            let puts = signed["parts"]
                .as_array()
                .expect("parts")
                .iter()
                .map(|part| {
                    let number = usize::try_from(part["number"].as_u64().expect("a number"))
                        .expect("a part number");
                    let start = (number - 1) * part_size;
                    let end = (start + part_size).min(content.len());
                    put(client, part, content[start..end].to_vec())
                });
            stream::iter(puts)
                .buffer_unordered(4)
                .collect::<Vec<()>>()
                .await;
        }
        bodies.push(json!({"token": prepared["token"]}));
    }
    bodies
}

/// The kernel's clock ticks per second (`getconf CLK_TCK`: 100 on Linux).
const TICKS_PER_SECOND: f64 = 100.0;

/// The processes whose CPU time a run reports: `server` (`LOAD_SERVER_PID`), the named groups
/// of `LOAD_CPU_OF` (`name=PID[,PID…]`, separated by spaces), and `client`: this process.
fn cpu_groups() -> Vec<(String, Vec<String>)> {
    let server = std::env::var("LOAD_SERVER_PID").ok();
    let mut groups: Vec<(String, Vec<String>)> = server
        .map(|pid| ("server".to_string(), vec![pid]))
        .into_iter()
        .collect();
    groups.extend(
        std::env::var("LOAD_CPU_OF")
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|group| group.split_once('='))
            .map(|(name, pids)| {
                (
                    name.to_string(),
                    pids.split(',').map(str::to_string).collect(),
                )
            }),
    );
    groups.push(("client".into(), vec!["self".into()]));
    groups
}

/// The CPU ticks of the processes of `pids` that still run.
fn group_ticks(pids: &[String]) -> u64 {
    pids.iter()
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/stat")).ok())
        .map(|stat| stat_ticks(&stat))
        .sum()
}

/// utime + stime of a `/proc/PID/stat` line.
fn stat_ticks(stat: &str) -> u64 {
    // The fields after the command name (which may hold spaces) start at its closing parenthesis.
    let fields: Vec<&str> = stat[stat.rfind(')').expect("a stat line") + 2..]
        .split(' ')
        .collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

#[tokio::main]
async fn main() {
    let run = arguments();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(run.concurrency)
        .build()
        .expect("a client");
    let (url, bodies) = match run.mode.as_str() {
        "prepare" => (
            format!("{}/api/joist/prepare", run.base),
            (0..run.requests)
                .map(|n| prepare_body(run.size, n))
                .collect::<Vec<_>>(),
        ),
        "finalize" => (
            format!("{}/api/joist/finalize", run.base),
            uploaded(&client, &run, run.requests).await,
        ),
        other => panic!("unknown mode {other}"),
    };
    let groups = cpu_groups();
    let groups_before: Vec<u64> = groups.iter().map(|(_, pids)| group_ticks(pids)).collect();
    let started = Instant::now();
    let results: Vec<(u16, usize, Duration)> = stream::iter(bodies.iter())
        .map(|body| {
            let (client, url) = (&client, &url);
            async move {
                let start = Instant::now();
                let (status, bytes) = post(client, url, body).await;
                (status, bytes.len(), start.elapsed())
            }
        })
        .buffer_unordered(run.concurrency)
        .collect()
        .await;
    let elapsed = started.elapsed();
    let mut cpu = String::new();
    for ((name, pids), before) in groups.iter().zip(groups_before) {
        #[allow(clippy::cast_precision_loss)]
        let per_request = group_ticks(pids).saturating_sub(before) as f64 * 1000.0
            / TICKS_PER_SECOND
            / run.requests.max(1) as f64;
        let _ = write!(cpu, " {name}_cpu={per_request:.3}ms");
    }
    let errors = results
        .iter()
        .filter(|(status, _, _)| *status >= 300)
        .count();
    let mut latencies: Vec<Duration> = results.iter().map(|(_, _, latency)| *latency).collect();
    latencies.sort_unstable();
    let bytes: usize = results.iter().map(|(_, bytes, _)| bytes).sum();
    #[allow(clippy::cast_precision_loss)]
    let rate = results.len() as f64 / elapsed.as_secs_f64();
    let _ = writeln!(
        std::io::stdout(),
        "{} size={} c={} n={} errors={errors} req/s={rate:.0} p50={:.1}ms p99={:.1}ms bytes={}{cpu}",
        run.mode,
        run.size,
        run.concurrency,
        results.len(),
        percentile(&latencies, 0.5).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.99).as_secs_f64() * 1000.0,
        bytes / results.len().max(1),
    );
}
