//! `observe(name)`: the stream of an election's leader announcements (`SyncClient::Observer`),
//! with etcd-cpp-apiv3's action string ("obverse").

use std::sync::Mutex;

use super::client::Client;
use super::response::{action, code, error_to_response, Kv, Response};
use super::runtime;

/// `observe(name)`: a stream of leader announcements (`SyncClient::Observer`).
pub struct Observer {
    rx: Mutex<std::sync::mpsc::Receiver<Response>>,
    task: tokio::task::AbortHandle,
}

impl Observer {
    /// Starts observing election `name`; the first message is the current leader, if any.
    pub fn new(client: &Client, name: Vec<u8>) -> Observer {
        let (tx, rx) = std::sync::mpsc::channel();
        let c = client.clone();
        // Inside a namespace: the election's name gets the prefix, the leaders' keys lose it.
        let ns = client.namespace().cloned();
        let name = match &ns {
            Some(ns) => ns.key(&name),
            None => name,
        };
        let strip = move |r: Response| match &ns {
            Some(ns) => ns.strip_response(r),
            None => r,
        };
        let task = runtime::spawn(async move {
            let stream = c
                .with_failover(true, |cl| {
                    let mut e = cl.election_client();
                    let name = name.clone();
                    async move { e.observe(name).await }
                })
                .await;
            let mut stream = match stream {
                Ok(s) => s,
                Err(e) => {
                    let _ = tx.send(Response {
                        action: action::OBSERVE.into(),
                        ..error_to_response(&e)
                    });
                    return;
                }
            };
            loop {
                let msg = match stream.message().await {
                    Ok(Some(r)) => Response {
                        value: r.kv().map(Kv::from_etcd).unwrap_or_default(),
                        ..Response::ok(action::OBSERVE).with_header(r.header())
                    },
                    Ok(None) => Response {
                        action: action::OBSERVE.into(),
                        ..Response::error(code::CANCELLED, "observe stream ended")
                    },
                    Err(e) => Response {
                        action: action::OBSERVE.into(),
                        ..error_to_response(&e)
                    },
                };
                let last = !msg.is_ok();
                if tx.send(strip(msg)).is_err() || last {
                    return;
                }
            }
        });
        Observer {
            rx: Mutex::new(rx),
            task: task.abort_handle(),
        }
    }

    /// Waits at most `timeout` (`None`: no limit) for the next leader announcement (or the
    /// error that ended the stream); `None` when none came in time.
    pub fn wait_for(&self, timeout: Option<std::time::Duration>) -> Option<Response> {
        let Some(timeout) = timeout else {
            return Some(self.wait_once());
        };
        let rx = self.rx.lock().unwrap_or_else(|e| e.into_inner());
        match rx.recv_timeout(timeout) {
            Ok(r) => Some(r),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => None,
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Some(Response {
                action: action::OBSERVE.into(),
                ..Response::error(super::response::code::CANCELLED, "observer ended")
            }),
        }
    }

    /// Blocks until the next leader announcement (or the error that ended the stream).
    pub fn wait_once(&self) -> Response {
        let rx = self.rx.lock().unwrap_or_else(|e| e.into_inner());
        rx.recv().unwrap_or_else(|_| Response {
            action: action::OBSERVE.into(),
            ..Response::error(code::CANCELLED, "observer ended")
        })
    }
}

impl Drop for Observer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
