//! A ClamAV scanner: streams the object from the store into clamd's `INSTREAM` command, over TCP
//! or a Unix socket, in chunks (memory stays flat however large the file).

use std::{path::PathBuf, time::Duration};

use async_trait::async_trait;
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt},
    net::{TcpStream, UnixStream},
};

use super::{ScanError, ScanTarget, Scanner, Verdict};

/// Where clamd listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClamdAddress {
    /// `host:port` (clamd's `TCPSocket`).
    Tcp(String),
    /// A Unix socket path (clamd's `LocalSocket`).
    Unix(PathBuf),
}

impl ClamdAddress {
    /// Reads `tcp://host:port` or `unix:///path` (a bare absolute path is a Unix socket).
    ///
    /// # Errors
    /// Any other form.
    pub fn parse(address: &str) -> Result<Self, String> {
        if let Some(host_port) = address.strip_prefix("tcp://") {
            if host_port
                .rsplit_once(':')
                .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok())
            {
                return Ok(Self::Tcp(host_port.to_string()));
            }
        } else {
            let path = address.strip_prefix("unix://").unwrap_or(address);
            if path.starts_with('/') {
                return Ok(Self::Unix(PathBuf::from(path)));
            }
        }
        Err(format!(
            "`{address}` is not `tcp://host:port` or `unix:///path/to/clamd.sock`"
        ))
    }
}

/// clamd, asked over `INSTREAM`.
#[derive(Debug, Clone)]
pub struct ClamAv {
    address: ClamdAddress,
    timeout: Duration,
}

/// Bytes per `INSTREAM` chunk.
const CHUNK: usize = 64 * 1024;

impl ClamAv {
    /// clamd at `address`, given `timeout` for a whole scan.
    #[must_use]
    pub const fn new(address: ClamdAddress, timeout: Duration) -> Self {
        Self { address, timeout }
    }

    async fn scan_over<S: AsyncRead + AsyncWrite + Unpin>(
        mut socket: S,
        target: ScanTarget<'_>,
    ) -> Result<Verdict, ScanError> {
        let unavailable = |error: std::io::Error| ScanError::Unavailable(error.to_string());
        socket
            .write_all(b"zINSTREAM\0")
            .await
            .map_err(unavailable)?;
        let mut body = target
            .store
            .client()
            .get_object()
            .bucket(target.store.bucket())
            .key(target.key)
            .send()
            .await
            .map_err(|error| {
                ScanError::Store(aws_sdk_s3::error::DisplayErrorContext(error).to_string())
            })?
            .body;
        while let Some(bytes) = body.next().await {
            let bytes = bytes.map_err(|error| ScanError::Store(error.to_string()))?;
            for chunk in bytes.chunks(CHUNK) {
                let length = u32::try_from(chunk.len()).unwrap_or(u32::MAX);
                socket
                    .write_all(&length.to_be_bytes())
                    .await
                    .map_err(unavailable)?;
                if let Err(error) = socket.write_all(chunk).await {
                    // clamd stops reading past its StreamMaxLength and says so.
                    return Err(Self::answer(&mut socket)
                        .await
                        .err()
                        .unwrap_or_else(|| unavailable(error)));
                }
            }
        }
        socket
            .write_all(&0u32.to_be_bytes())
            .await
            .map_err(unavailable)?;
        Self::answer(&mut socket).await
    }

    /// Reads clamd's answer: `stream: OK`, `stream: <name> FOUND`, or an error.
    async fn answer<S: AsyncRead + Unpin>(socket: &mut S) -> Result<Verdict, ScanError> {
        let mut answer = Vec::new();
        socket
            .take(4096)
            .read_to_end(&mut answer)
            .await
            .map_err(|error| ScanError::Unavailable(error.to_string()))?;
        let answer = String::from_utf8_lossy(&answer);
        let answer = answer.trim_end_matches(['\0', '\n']).trim();
        if answer == "stream: OK" {
            Ok(Verdict::Clean)
        } else if let Some(found) = answer
            .strip_prefix("stream: ")
            .and_then(|rest| rest.strip_suffix(" FOUND"))
        {
            Ok(Verdict::Infected(found.to_string()))
        } else {
            Err(ScanError::NoVerdict(answer.chars().take(200).collect()))
        }
    }
}

#[async_trait]
impl Scanner for ClamAv {
    fn name(&self) -> &'static str {
        "clamav"
    }

    async fn scan(&self, target: ScanTarget<'_>) -> Result<Verdict, ScanError> {
        let scan = async {
            match &self.address {
                ClamdAddress::Tcp(address) => {
                    let socket = TcpStream::connect(address).await.map_err(|error| {
                        ScanError::Unavailable(format!("clamd at {address}: {error}"))
                    })?;
                    Self::scan_over(socket, target).await
                }
                ClamdAddress::Unix(path) => {
                    let socket = UnixStream::connect(path).await.map_err(|error| {
                        ScanError::Unavailable(format!("clamd at {}: {error}", path.display()))
                    })?;
                    Self::scan_over(socket, target).await
                }
            }
        };
        tokio::time::timeout(self.timeout, scan)
            .await
            .unwrap_or_else(|_| {
                Err(ScanError::Unavailable(format!(
                    "clamd took over {:?}",
                    self.timeout
                )))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_addresses() {
        assert_eq!(
            ClamdAddress::parse("tcp://127.0.0.1:3310").unwrap(),
            ClamdAddress::Tcp("127.0.0.1:3310".into())
        );
        assert_eq!(
            ClamdAddress::parse("unix:///run/clamav/clamd.ctl").unwrap(),
            ClamdAddress::Unix("/run/clamav/clamd.ctl".into())
        );
        assert_eq!(
            ClamdAddress::parse("/tmp/clamd.sock").unwrap(),
            ClamdAddress::Unix("/tmp/clamd.sock".into())
        );
        for bad in [
            "127.0.0.1:3310",
            "tcp://host",
            "unix://relative",
            "http://x:1",
        ] {
            assert!(ClamdAddress::parse(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn reads_verdicts_and_refuses_garbage() {
        let verdict = |text: &'static [u8]| async move { ClamAv::answer(&mut &text[..]).await };
        assert_eq!(verdict(b"stream: OK\0").await, Ok(Verdict::Clean));
        assert_eq!(
            verdict(b"stream: Eicar-Test-Signature FOUND\0").await,
            Ok(Verdict::Infected("Eicar-Test-Signature".into()))
        );
        assert!(matches!(
            verdict(b"INSTREAM size limit exceeded. ERROR\0").await,
            Err(ScanError::NoVerdict(_))
        ));
        assert!(matches!(
            verdict(b"\xff\xfe garbage").await,
            Err(ScanError::NoVerdict(_))
        ));
        assert!(matches!(verdict(b"").await, Err(ScanError::NoVerdict(_))));
    }
}
