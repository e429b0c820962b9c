//! The HTTP/1.1 server: connections, request bodies, scripted and contract answers.

use super::*;

pub(crate) async fn serve(
    listener: std::net::TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shared: Arc<Shared>,
    mut stop: oneshot::Receiver<()>,
) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    let shared = Arc::clone(&shared);
                    match tls.clone() {
                        None => tokio::spawn(connection(stream, shared)),
                        Some(tls) => tokio::spawn(async move {
                            // A failed handshake is the client's problem.
                            if let Ok(stream) = tls.accept(stream).await {
                                connection(stream, shared).await;
                            }
                        }),
                    };
                }
                // E.g. out of file descriptors: do not spin.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
        }
    }
}

pub(crate) async fn connection<S>(stream: S, shared: Arc<Shared>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + std::marker::Send + 'static,
{
    // Signalled by a scripted `Drop`: the connection is then dropped unanswered.
    let drop_now = Arc::new(Notify::new());
    let service = {
        let drop_now = Arc::clone(&drop_now);
        hyper::service::service_fn(move |req| {
            let shared = Arc::clone(&shared);
            let drop_now = Arc::clone(&drop_now);
            async move { handle(req, &shared, &drop_now).await }
        })
    };
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        _ = conn => {}
        _ = drop_now.notified() => {}
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BodyError {
    TooLarge,
    Unreadable,
}

pub(crate) async fn read_body(headers: &HeaderMap, body: Incoming) -> Result<Bytes, BodyError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(BodyError::TooLarge);
    }
    match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(BodyError::TooLarge),
        Err(_) => Err(BodyError::Unreadable),
    }
}

pub(crate) async fn handle(
    req: Request<Incoming>,
    shared: &Shared,
    drop_now: &Notify,
) -> Result<Response<StubBody>, Infallible> {
    let received_at = Instant::now();
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_owned();
    let body = read_body(&parts.headers, body).await;

    if path == "/_stub" || path.starts_with("/_stub/") {
        return Ok(answer_control(&parts.method, &path, body, shared).into_response());
    }

    let raw_path = parts
        .uri
        .path_and_query()
        .map_or_else(|| path.clone(), |p| p.as_str().to_owned());
    let recorded = RecordedRequest {
        method: parts.method.to_string(),
        path: raw_path,
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| {
                let value = String::from_utf8_lossy(v.as_bytes()).into_owned();
                (n.as_str().to_owned(), value)
            })
            .collect(),
        body: body.as_ref().map(|b| b.to_vec()).unwrap_or_default(),
        received_at,
        answered_status: None,
    };

    let (seq, scripted) = {
        let mut state = shared.lock();
        let seq = state.next_seq;
        state.next_seq += 1;
        state.requests.push((seq, recorded));
        let scripted = if path.starts_with("/v1/") {
            state.script.pop_front()
        } else {
            None
        };
        match scripted {
            Some(scripted) => (seq, scripted),
            None => {
                let request = RequestView {
                    method: &parts.method,
                    path: &path,
                    headers: &parts.headers,
                    body: body.as_deref(),
                };
                let answer = contract(&mut state, &shared.id_prefix, &request);
                state.set_answered(seq, answer.status);
                return Ok(answer.into_response());
            }
        }
    };

    match scripted {
        Scripted::Respond {
            status,
            headers,
            body,
            delay,
            ending,
        } => {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            let answer = Answer {
                status,
                headers,
                body,
            };
            let response = answer.into_response_ending(ending);
            shared.lock().set_answered(seq, response.status().as_u16());
            Ok(response)
        }
        Scripted::Drop { delay } => {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            drop_now.notify_one();
            // The connection future (and this one with it) is dropped now.
            std::future::pending().await
        }
    }
}

/// An answer before it becomes a hyper response.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Answer {
    pub(crate) fn json(status: u16, body: &Value) -> Self {
        Answer {
            status,
            headers: vec![("content-type".to_owned(), "application/json".to_owned())],
            body: body.to_string().into_bytes(),
        }
    }

    pub(crate) fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub(crate) fn into_response(self) -> Response<StubBody> {
        self.into_response_ending(Ending::Whole)
    }

    pub(crate) fn into_response_ending(self, ending: Ending) -> Response<StubBody> {
        let length = self.body.len();
        let body = Bytes::from(self.body);
        let (body, declared) = match ending {
            Ending::Whole => (StubBody::Whole(Some(body)), None),
            Ending::Cut { after } => (StubBody::cut(body.slice(..after.min(length))), Some(length)),
            Ending::Stall { after } => (
                StubBody::stalled(body.slice(..after.min(length))),
                Some(length),
            ),
        };
        let mut response = Response::new(body);
        if let Some(length) = declared {
            response
                .headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(length));
        }
        // 1xx cannot be a final answer: such a script is answered 500.
        *response.status_mut() = StatusCode::from_u16(self.status)
            .ok()
            .filter(|s| !s.is_informational())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        for (name, value) in &self.headers {
            // Headers that are not valid HTTP are left out rather than failing.
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                response.headers_mut().append(name, value);
            }
        }
        response
    }
}

/// A response body: whole, or its first bytes and then a cut (the
/// connection closes) or a stall (nothing more comes).
pub(crate) enum StubBody {
    Whole(Option<Bytes>),
    Partial {
        head: Option<Bytes>,
        /// `Some` for a cut: when it fires, the body fails and hyper closes
        /// the connection. Waiting first lets hyper flush what went before
        /// (it flushes when the body has nothing ready).
        cut: Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
    },
}

/// How long a cut body waits after its head, so the head is on the wire.
const CUT_AFTER_FLUSH: Duration = Duration::from_millis(50);

impl StubBody {
    fn cut(head: Bytes) -> StubBody {
        StubBody::Partial {
            head: Some(head),
            cut: Some(Box::pin(tokio::time::sleep(CUT_AFTER_FLUSH))),
        }
    }

    fn stalled(head: Bytes) -> StubBody {
        StubBody::Partial {
            head: Some(head),
            cut: None,
        }
    }
}

impl hyper::body::Body for StubBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, std::io::Error>>> {
        use std::future::Future;
        use std::task::Poll;
        match self.get_mut() {
            StubBody::Whole(data) => {
                Poll::Ready(data.take().map(|d| Ok(hyper::body::Frame::data(d))))
            }
            StubBody::Partial { head, cut } => match (head.take(), cut) {
                (Some(head), _) if !head.is_empty() => {
                    Poll::Ready(Some(Ok(hyper::body::Frame::data(head))))
                }
                // An error makes hyper close the connection mid-body.
                (_, Some(cut)) => cut
                    .as_mut()
                    .poll(cx)
                    .map(|()| Some(Err(std::io::Error::other("scripted cut")))),
                // Never woken: the body stalls until the connection closes.
                (_, None) => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, StubBody::Whole(None))
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        match self {
            StubBody::Whole(Some(data)) => hyper::body::SizeHint::with_exact(data.len() as u64),
            StubBody::Whole(None) => hyper::body::SizeHint::with_exact(0),
            StubBody::Partial { .. } => hyper::body::SizeHint::default(),
        }
    }
}
