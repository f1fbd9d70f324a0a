//! A TCP listener whose connections a handler can cut: after `Conn::kill`,
//! the next write on that connection fails, so hyper drops it without
//! sending a byte of the answer (the client sees the connection closed
//! before any status line). Also what both fakes' servers share: serving
//! a router on loopback, and their state's lock.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// Serves `app` on 127.0.0.1:`port` (0 = any free port) over a
/// `KillableListener`: the base URL and the server task.
pub(crate) async fn serve(
    app: Router,
    port: u16,
) -> io::Result<(String, tokio::task::JoinHandle<()>)> {
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
    let url = format!("http://{}", listener.local_addr()?);
    let service = app.into_make_service_with_connect_info::<Conn>();
    let server = tokio::spawn(async move {
        let _ = axum::serve(KillableListener(listener), service).await;
    });
    Ok((url, server))
}

/// A fake's state, even after a handler panicked holding it: a test then
/// fails on its own assertion, not on a poisoned lock.
pub(crate) fn lock<T>(state: &Mutex<T>) -> MutexGuard<'_, T> {
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub(super) struct KillableListener(pub TcpListener);

/// The connection a request came in on (handler side, via `ConnectInfo`).
#[derive(Debug, Clone)]
pub(super) struct Conn {
    killed: Arc<AtomicBool>,
}

impl Conn {
    pub fn kill(&self) {
        self.killed.store(true, Ordering::SeqCst);
    }
}

pub(super) struct KillableIo {
    inner: TcpStream,
    killed: Arc<AtomicBool>,
}

impl KillableIo {
    fn killed(&self) -> bool {
        self.killed.load(Ordering::SeqCst)
    }
}

impl Listener for KillableListener {
    type Io = KillableIo;
    type Addr = Conn;

    async fn accept(&mut self) -> (KillableIo, Conn) {
        loop {
            match self.0.accept().await {
                Ok((inner, _peer)) => {
                    let _ = inner.set_nodelay(true);
                    let killed = Arc::new(AtomicBool::new(false));
                    let io = KillableIo {
                        inner,
                        killed: killed.clone(),
                    };
                    return (io, Conn { killed });
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Conn> {
        self.0.local_addr()?;
        Ok(Conn {
            killed: Arc::default(),
        })
    }
}

impl Connected<IncomingStream<'_, KillableListener>> for Conn {
    fn connect_info(stream: IncomingStream<'_, KillableListener>) -> Self {
        stream.remote_addr().clone()
    }
}

fn cut() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionReset,
        "answer lost (injected fault)",
    )
}

impl AsyncRead for KillableIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.killed() {
            return Poll::Ready(Err(cut()));
        }
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for KillableIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.killed() {
            return Poll::Ready(Err(cut()));
        }
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.killed() {
            return Poll::Ready(Err(cut()));
        }
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
