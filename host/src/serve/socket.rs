//! One WebSocket connection: one session actor; frames read and answered through [`crate::protocol`].
//!
//! When the socket closes, its session is parked for the resume grace: a
//! reconnect whose `resume` frame carries a view's token takes the session
//! back (while it has no views of its own) and the view carries on where it
//! was, without a mount. With Redis, a view this process does not have is
//! claimed from its snapshot ([`crate::resume`]) and carries on here.

use super::App;
use crate::actors::{
    ActorError, ComponentEvent, Delivery, Event, MountRequest, OUTBOUND_FRAMES, Outbound, OutboundQueue, Pushed, Rendered, ResumeRefusal,
    ResumedFrom, Resumable, SessionHandle, TemplateSource, ViewHandle, around, outbound,
};
use super::views::ViewEntry;
use crate::resume::{Claim, StoreError};
use crate::protocol::{self, ClientFrame, EventFrame, MountFrame, Request, ResumeFrame, ServerFrame, Status, Transport, WireError};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::SinkExt;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Who a frame comes from: a session, and the browser's HTTP session
/// (from its signed cookie) whose first paints it may claim. Over POST
/// the two are the same session.
pub(crate) struct Connection {
    /// Its own session, or the parked one a resume took back.
    session: Mutex<SessionHandle>,
    pub(crate) http_session: Option<String>,
    /// Where the socket's views push; `None` over POST.
    pub(crate) outbound: Option<Outbound>,
    /// The socket's views, as mounted: events go to them directly.
    pub(crate) views: Mutex<HashMap<String, ViewHandle>>,
}

impl Connection {
    pub(crate) fn new(session: SessionHandle, http_session: Option<String>, outbound: Option<Outbound>) -> Connection {
        Connection { session: Mutex::new(session), http_session, outbound, views: Mutex::default() }
    }

    pub(crate) fn session(&self) -> SessionHandle {
        self.session.lock().expect("session lock").clone()
    }

    fn view(&self, view_id: &str) -> Option<ViewHandle> {
        self.views.lock().expect("views lock").get(view_id).cloned()
    }

    /// The view a frame is for: one this connection mounted, else looked
    /// up in the session (the first mounted one when `view_id` is `None`).
    async fn find(&self, view_id: Option<&str>) -> Result<ViewHandle, ActorError> {
        if let Some(view) = view_id.and_then(|id| self.view(id)) {
            return Ok(view);
        }
        self.session().view(view_id, Delivery::Wait).await?.await
    }
}

/// Read one frame and answer it: the frame to send, and the status a POST answers with.
pub(crate) async fn receive(app: &App, connection: &Connection, data: &[u8], transport: Transport) -> (Status, ServerFrame) {
    match protocol::parse(data, transport, &app.frame_limits) {
        Ok(frame) => answer(app, connection, frame).await,
        Err(refusal) => (refusal.error.status, refusal.frame()),
    }
}

pub(crate) async fn answer(app: &App, connection: &Connection, frame: ClientFrame) -> (Status, ServerFrame) {
    let ClientFrame { reference, view_id, request } = frame;
    let session = &connection.session();
    let answered = match request {
        Request::Mount(mount_frame) => mount(app, connection, mount_frame, reference.clone()).await,
        Request::Resume(resume_frame) => resume(app, connection, view_id.clone().unwrap_or_default(), resume_frame, reference.clone()).await,
        Request::Ping => async { session.ping(Delivery::FailFast).await?.await }
            .await
            .map(|()| ServerFrame::Pong { reference: reference.clone() })
            .map_err(|e| WireError::from(&e)),
        // The POST fallback has found the view in the session and claimed it.
        Request::Claim => Ok(ServerFrame::Claimed { view_id: view_id.clone().unwrap_or_default(), reference: reference.clone() }),
        Request::Resync => async {
            let view = connection.find(view_id.as_deref()).await?;
            let rendered = view.render(Delivery::Wait).await?.await?;
            Ok(ServerFrame::rendered(rendered, Some(view.view_id().to_string()), reference.clone()))
        }
        .await
        .map_err(|e: ActorError| WireError::from(&e)),
        Request::Event(EventFrame { name, params, component_id }) => async {
            let view = connection.find(view_id.as_deref()).await?;
            let rendered = match component_id {
                // A component's event needs its view named.
                Some(component) if view_id.is_some() => {
                    view.component_event(ComponentEvent::new(component, name, params), Delivery::Wait).await?.await?
                }
                _ => view.event(Event::new(name, params), Delivery::Wait).await?.await?,
            };
            // The view is named in the answer (the session's first view, when the frame named none).
            Ok(ServerFrame::rendered(rendered, Some(view.view_id().to_string()), reference.clone()))
        }
        .await
        .map_err(|e: ActorError| WireError::from(&e)),
    };
    match answered {
        Ok(frame) => (Status::Ok, frame),
        Err(error) => (error.status, ServerFrame::error(&error, view_id, reference)),
    }
}

async fn mount(app: &App, connection: &Connection, frame: MountFrame, reference: Option<Value>) -> Result<ServerFrame, WireError> {
    let session = &connection.session();
    let view = app.view(&frame.view).ok_or_else(|| MountFrame::unknown_view(&frame.view))?;
    // A client's mount params set only the keys the views file declares.
    if let Some(key) = frame.params.keys().find(|k| !view.mount_params.contains(k)) {
        let takes = if view.mount_params.is_empty() { "none".to_string() } else { view.mount_params.join(", ") };
        let message = format!("view {:?} takes no mount param {key:?} from a client (it takes: {takes}; declare `mount_params` in the views file)", view.name);
        return Err(WireError::refused("InvalidParamsError", message));
    }
    let mounted = async { session.view_ids(Delivery::Wait).await?.await }.await.map_err(|e| WireError::from(&e))?.len();
    if mounted >= app.max_views_per_connection {
        app.refused_mounts.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let message = format!("this connection already has {} views mounted (--max-views-per-connection)", app.max_views_per_connection);
        return Err(WireError::refused("LimitExceededError", message));
    }
    let mut state = view.state.clone();
    crate::actors::merge(&frame.params, &mut state);
    let request = view_request(app, connection, view)?.params(state);
    let m = async { session.mount(request, Delivery::Wait).await?.await }.await.map_err(|e| WireError::from(&e))?;
    for topic in &view.topics {
        if let Err(e) = m.view.subscribe(topic).await {
            if let Ok(unmounted) = session.unmount(&m.view_id, Delivery::Wait).await {
                let _ = unmounted.await;
            }
            tracing::error!(view = %view.name, %topic, error = %e, "a served view could not subscribe");
            return Err(WireError::refused("BackplaneError", format!("view {:?} could not subscribe to {topic:?}: {e}", view.name)).with_status(Status::Failed));
        }
    }
    connection.views.lock().expect("views lock").insert(m.view_id.clone(), m.view.clone());
    // The socket's view replaces the first paint's.
    if let (Some(claim), Some(http)) = (&frame.claim, &connection.http_session)
        && app.first_paints.claim(http, claim)
    {
        super::first_paint::drop_view(&app.supervisor, http, claim).await;
    }
    let resume_token = Some(app.cookies.resume_token(&m.session_id, &m.view_id, connection.http_session.as_deref()));
    Ok(ServerFrame::Mounted { view_id: m.view_id, html: m.html, version: m.version, session_id: m.session_id, reference, events: Vec::new(), resume_token })
}

/// A request for one of the views file's views on this connection (a
/// mount's, or a resume's from a snapshot).
fn view_request(app: &App, connection: &Connection, view: &ViewEntry) -> Result<MountRequest, WireError> {
    let logic = app.logic_for(view).map_err(|e| {
        tracing::error!(view = %view.name, error = %e, "cannot make the view's handler");
        WireError::refused("WasmliveError", "the view's handler is not available (the server log says why)").with_status(Status::Failed)
    })?;
    let mut request = MountRequest::new(view.name.clone(), TemplateSource::Named(view.template.clone())).services(app.services.clone());
    request.logic = logic;
    request.outbound = connection.outbound.clone();
    request.resumable = Some(Resumable { browser: connection.http_session.clone() });
    Ok(request)
}

/// Take view `view_id` back after a reconnect: `resumed` when the client
/// shows its latest render, its whole HTML when it is behind,
/// `resume_failed` when there is nothing to take back.
async fn resume(app: &App, connection: &Connection, view_id: String, frame: ResumeFrame, reference: Option<Value>) -> Result<ServerFrame, WireError> {
    let taken = take_back(app, connection, &view_id, &frame).await.map_err(|e| WireError::from(&e))?;
    app.supervisor.record_resume(taken.as_ref().map(|(from, _)| *from).map_err(|why| *why));
    Ok(match taken {
        Ok((_, None)) => ServerFrame::Resumed { view_id, version: frame.version, reference },
        Ok((_, Some(rendered))) => ServerFrame::rendered(rendered, Some(view_id), reference),
        Err(why) => {
            tracing::debug!(%view_id, ?why, "resume refused");
            ServerFrame::resume_failed(view_id, reference)
        }
    })
}

/// Where the view came from and its render for the client if it is
/// behind (see [`ViewHandle::reattach`]), or why it cannot be taken back.
async fn take_back(
    app: &App,
    connection: &Connection,
    view_id: &str,
    frame: &ResumeFrame,
) -> Result<Result<(ResumedFrom, Option<Rendered>), ResumeRefusal>, ActorError> {
    let browser = connection.http_session.as_deref();
    let Some(session_id) = app.cookies.verify_resume(&frame.token, view_id, browser) else {
        return Ok(Err(ResumeRefusal::Token));
    };
    let current = connection.session();
    let session = if current.session_id() == session_id {
        // An earlier resume on this socket took the page's session back already.
        current
    } else {
        // A page's views share its socket's session: the new socket takes
        // it over whole, which it can only while it has none of its own.
        if !current.view_ids(Delivery::Wait).await?.await?.is_empty() {
            return Ok(Err(ResumeRefusal::InUse));
        }
        let session = match app.supervisor.resume_session(&session_id).await {
            Some(parked) => parked,
            // Its views may be in the snapshot store: they come back in a session of the same id.
            None if app.supervisor.snapshots().is_some() => match app.supervisor.adopt_session(&session_id) {
                Some(adopted) => adopted,
                None => return Ok(Err(ResumeRefusal::InUse)),
            },
            None => return Ok(Err(ResumeRefusal::NotFound)),
        };
        *connection.session.lock().expect("session lock") = session.clone();
        app.supervisor.remove_session(current.session_id()).await?;
        session
    };
    let (from, view) = match session.view(Some(view_id), Delivery::Wait).await?.await {
        Ok(view) => (ResumedFrom::Process, view),
        Err(ActorError::ViewNotFound(_)) => match restore(app, connection, &session, view_id, &session_id).await? {
            Ok(view) => (ResumedFrom::Snapshot, view),
            Err(why) => return Ok(Err(why)),
        },
        Err(e) => return Err(e),
    };
    let rendered = match view.reattach(connection.outbound.clone(), frame.version, Delivery::Wait).await?.await {
        Ok(rendered) => rendered,
        // Another process claimed the view while its client was away: this copy closed.
        Err(ActorError::Moved(_) | ActorError::Shutdown { .. }) if from == ResumedFrom::Process => {
            let _ = session.unmount(view_id, Delivery::Wait).await?.await;
            let Ok(view) = restore(app, connection, &session, view_id, &session_id).await? else {
                return Ok(Err(ResumeRefusal::NotFound));
            };
            let rendered = view.reattach(connection.outbound.clone(), frame.version, Delivery::Wait).await?.await?;
            connection.views.lock().expect("views lock").insert(view_id.to_string(), view);
            return Ok(Ok((ResumedFrom::Snapshot, rendered)));
        }
        Err(e) => return Err(e),
    };
    connection.views.lock().expect("views lock").insert(view_id.to_string(), view);
    Ok(Ok((from, rendered)))
}

/// Claim view `view_id` from the snapshot store and start it in `session`
/// without mounting it.
async fn restore(app: &App, connection: &Connection, session: &SessionHandle, view_id: &str, session_id: &str) -> Result<Result<ViewHandle, ResumeRefusal>, ActorError> {
    let Some(store) = app.supervisor.snapshots() else { return Ok(Err(ResumeRefusal::NotFound)) };
    let claimed = match store.claim(view_id, session_id, connection.http_session.as_deref()).await {
        Ok(Claim::Taken(claimed)) => claimed,
        Ok(Claim::Missing) => return Ok(Err(ResumeRefusal::NotFound)),
        Ok(Claim::BoundElsewhere) => return Ok(Err(ResumeRefusal::Binding)),
        Err(e @ StoreError::Refused { .. }) => {
            tracing::warn!(%view_id, error = %e, "a view's snapshot was refused: the client mounts afresh");
            return Ok(Err(ResumeRefusal::Unreadable));
        }
        Err(e) => {
            tracing::warn!(%view_id, error = %e, "cannot reach the snapshot store: the client mounts afresh");
            return Ok(Err(ResumeRefusal::Unavailable));
        }
    };
    let Some(view) = app.view(&claimed.snapshot.view_path) else {
        tracing::info!(%view_id, view = %claimed.snapshot.view_path, "the views file no longer has the snapshot's view: the client mounts afresh");
        return Ok(Err(ResumeRefusal::Restore));
    };
    let mut request = match view_request(app, connection, view) {
        Ok(request) => request,
        Err(e) => {
            tracing::info!(%view_id, error = %e.message, "the snapshot's view cannot be made: the client mounts afresh");
            return Ok(Err(ResumeRefusal::Restore));
        }
    };
    request.resume = Some(claimed);
    match session.mount(request, Delivery::Wait).await?.await {
        Ok(m) => Ok(Ok(m.view)),
        Err(e @ (ActorError::Handler(_) | ActorError::Template(_) | ActorError::GuestFault(_))) => {
            tracing::info!(%view_id, error = %e, "the view cannot carry on from its snapshot: the client mounts afresh");
            Ok(Err(ResumeRefusal::Restore))
        }
        Err(e) => Err(e),
    }
}

/// Serve one connection until it closes or the server stops.
/// `http_session`: the browser's HTTP session, from its signed cookie.
pub(crate) async fn serve(app: Arc<App>, mut ws: WebSocket, http_session: Option<String>) {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let session = app.supervisor.get_or_create_session(&format!("ws-{id}"));
    let (outbound, mut pushes) = outbound(OUTBOUND_FRAMES);
    let connection = Connection::new(session, http_session, Some(outbound));
    let mut bucket = app.max_frames_per_second.map(TokenBucket::new);
    let hello = ServerFrame::Connected { session_id: id }.to_text();
    if ws.send(Message::Text(hello.into())).await.is_err() {
        return;
    }
    loop {
        let message = tokio::select! {
            m = ws.recv() => m,
            Some(pushed) = pushes.recv() => {
                // Whatever else is queued goes in the same write: one flush per
                // wake, not per frame (a broadcast to a socket's hundred views).
                let queued = std::iter::once(pushed).chain(std::iter::from_fn(|| pushes.try_recv()));
                if write(&mut ws, queued.map(pushed_message)).await.is_err() {
                    break;
                }
                refresh_stale(&mut pushes, &connection).await;
                continue;
            }
            () = app.stopping.cancelled() => {
                let close = CloseFrame { code: 1001, reason: "server shutting down".into() };
                let _ = ws.send(Message::Close(Some(close))).await;
                break;
            }
        };
        if let (Some(bucket), Some(Ok(Message::Text(_) | Message::Binary(_)))) = (&mut bucket, &message)
            && bucket.take().await
        {
            app.throttled_frames.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        let reply = match message {
            Some(Ok(Message::Text(text))) => receive(&app, &connection, text.as_bytes(), Transport::Socket).await.1,
            Some(Ok(Message::Binary(_))) => ServerFrame::error(&WireError::invalid(protocol::NOT_TEXT), None, None),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(Message::Close(_))) | None => break,
            Some(Err(e)) => {
                tracing::debug!(error = %e, "websocket error");
                // The WebSocket protocol ends the connection here (RFC 6455: a text
                // frame that is not UTF-8 fails it with 1007; past the frame cap of
                // four times max_frame_bytes, 1009): with a close frame that says why.
                let text = e.to_string();
                let code = if text.contains("UTF-8") || text.contains("utf-8") { 1007 } else { 1009 };
                let mut reason = format!("frame refused: {text}");
                reason.truncate(reason.floor_char_boundary(120));
                let _ = ws.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
                break;
            }
        };
        // Versions stay in order: pushes rendered before this answer go first, later ones after it.
        let mut queued = Vec::new();
        while let Some(pushed) = pushes.try_recv() {
            queued.push(pushed);
        }
        let (before, after) = match reply.rendered_at() {
            Some((view_id, version)) => around(queued, view_id, version),
            None => (queued, Vec::new()),
        };
        let reply = Message::Text(reply.to_text().into());
        let frames = before.into_iter().map(pushed_message).chain(std::iter::once(reply)).chain(after.into_iter().map(pushed_message));
        if write(&mut ws, frames).await.is_err() {
            break;
        }
    }
    // Kept for a reconnect to resume (the session a resume took back, if one did).
    if let Err(e) = app.supervisor.park_session(connection.session().session_id()).await {
        tracing::debug!(error = %e, "session already gone");
    }
}

/// Once the queue has drained, ask each view that went stale for its whole HTML (it comes through the queue).
async fn refresh_stale(pushes: &mut OutboundQueue, connection: &Connection) {
    for id in pushes.take_stale() {
        let Some(view) = connection.view(&id) else { continue };
        if let Err(e) = async { view.refresh(Delivery::Wait).await?.await }.await {
            tracing::debug!(error = %e, "a stale view could not be refreshed");
        }
    }
}

/// Frames in one write: each fed to the socket, one flush at the end.
async fn write(ws: &mut WebSocket, frames: impl Iterator<Item = Message>) -> Result<(), axum::Error> {
    for frame in frames {
        ws.feed(frame).await?;
    }
    ws.flush().await
}

/// A pushed render as the frame that carries it (no `ref`: nobody asked).
fn pushed_message(pushed: Pushed) -> Message {
    Message::Text(ServerFrame::rendered(pushed.rendered, Some(pushed.view_id), None).to_text().into())
}

/// `max_frames_per_second` for one connection: as deep as one second's
/// frames; an empty bucket delays the next read (the client is slowed, its
/// frames wait in the socket, nothing is lost).
struct TokenBucket {
    rate: f64,
    tokens: f64,
    at: tokio::time::Instant,
}

impl TokenBucket {
    fn new(rate: u32) -> TokenBucket {
        TokenBucket { rate: f64::from(rate), tokens: f64::from(rate), at: tokio::time::Instant::now() }
    }

    /// Take a token, waiting for one if need be; whether it had to wait.
    async fn take(&mut self) -> bool {
        let now = tokio::time::Instant::now();
        self.tokens = (self.tokens + now.duration_since(self.at).as_secs_f64() * self.rate).min(self.rate);
        self.at = now;
        let waited = self.tokens < 1.0;
        if waited {
            tokio::time::sleep(std::time::Duration::from_secs_f64((1.0 - self.tokens) / self.rate)).await;
            self.tokens = 1.0;
            self.at = tokio::time::Instant::now();
        }
        self.tokens -= 1.0;
        waited
    }
}
