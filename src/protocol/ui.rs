//! HTTP for the dashboard: the page and its assets (embedded at build time), the Server-Sent
//! Events stream it listens to, and its small JSON endpoints (the work is in `ops::ui`).

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::Stream;

use super::control::{body, json};
use crate::error::ApiError;
use crate::ops::ui;
use crate::state::Emulator;

const INDEX_HTML: &str = include_str!("ui/index.html");
const APP_JS: &str = include_str!("ui/app.js");
const APP_CSS: &str = include_str!("ui/app.css");

/// The least time between two change notices on one stream (the page re-fetches on each).
const MIN_CHANGE_INTERVAL: Duration = Duration::from_millis(250);
/// Events sent on connect, so a fresh page shows the recent past.
const RECENT_EVENTS: u64 = 100;

/// The `/_emulator/ui*` routes.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/_emulator/ui", get(index))
        .route("/_emulator/ui/", get(index))
        .route("/_emulator/ui/app.js", get(app_js))
        .route("/_emulator/ui/app.css", get(app_css))
        .route("/_emulator/ui/stream", get(stream))
        .route("/_emulator/ui/api/overview", get(overview))
        .route("/_emulator/ui/api/game-sessions", get(game_sessions))
        .route("/_emulator/ui/api/player-sessions", get(player_sessions))
        .route("/_emulator/ui/api/terminate-game-session", post(terminate_game_session))
}

fn asset(content_type: &'static str, text: &'static str) -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "no-cache")], text)
        .into_response()
}

/// The dashboard page.
pub async fn index() -> Response {
    asset("text/html; charset=utf-8", INDEX_HTML)
}

async fn app_js() -> Response {
    asset("text/javascript; charset=utf-8", APP_JS)
}

async fn app_css() -> Response {
    asset("text/css; charset=utf-8", APP_CSS)
}

async fn overview(State(em): State<Emulator>) -> Response {
    json(Ok(ui::overview(&em)))
}

fn query<T: serde::de::DeserializeOwned>(raw: Option<&str>, endpoint: &str) -> Result<T, ApiError> {
    serde_urlencoded::from_str(raw.unwrap_or(""))
        .map_err(|e| ApiError::InvalidRequest(format!("Invalid query for {endpoint}: {e}.")))
}

async fn game_sessions(State(em): State<Emulator>, uri: axum::http::Uri) -> Response {
    json(
        query(uri.query(), "GET /_emulator/ui/api/game-sessions")
            .and_then(|q: ui::SessionFilter| ui::game_sessions(&em, q)),
    )
}

async fn player_sessions(State(em): State<Emulator>, uri: axum::http::Uri) -> Response {
    json(
        query(uri.query(), "GET /_emulator/ui/api/player-sessions")
            .and_then(|q: ui::PlayerSessionFilter| ui::player_sessions(&em, q)),
    )
}

async fn terminate_game_session(State(em): State<Emulator>, bytes: bytes::Bytes) -> Response {
    let result = body(
        &bytes,
        "POST /_emulator/ui/api/terminate-game-session",
        "{\"GameSessionId\": ..., \"TerminationMode\": \"FORCE_TERMINATE\"}",
    )
    .and_then(|input| ui::terminate_game_session(&em, input));
    json(super::control::durable(&em, result).await)
}

#[derive(serde::Deserialize)]
struct StreamQuery {
    /// Send events after this sequence number (default: the last [`RECENT_EVENTS`]).
    after: Option<u64>,
}

struct StreamState {
    em: Emulator,
    changes: tokio::sync::watch::Receiver<u64>,
    after: Option<u64>,
    hello: bool,
    next_change: tokio::time::Instant,
}

/// `GET /_emulator/ui/stream`: `hello` on connect, `change` when the world may have changed
/// (at most every 250 ms), `events` with new event-log entries; a comment every 15 s keeps
/// proxies from closing it. EventSource reconnects by itself after a restart.
async fn stream(State(em): State<Emulator>, Query(q): Query<StreamQuery>) -> impl IntoResponse {
    let state = StreamState {
        changes: em.watch_changes(),
        em,
        after: q.after,
        hello: true,
        next_change: tokio::time::Instant::now(),
    };
    Sse::new(events(state)).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

fn events(state: StreamState) -> impl Stream<Item = Result<Event, Infallible>> {
    futures_util::stream::unfold(state, |mut st| async move {
        if st.hello {
            st.hello = false;
            st.changes.borrow_and_update();
            let last = st.em.events().last_sequence();
            st.after = Some(st.after.unwrap_or(last.saturating_sub(RECENT_EVENTS)).min(last));
            return Some((Ok(Event::default().event("hello").data("{}")), st));
        }
        let after = st.after.unwrap_or(0);
        let event = tokio::select! {
            changed = st.changes.changed() => {
                changed.ok()?;
                tokio::time::sleep_until(st.next_change).await;
                let n = *st.changes.borrow_and_update();
                st.next_change = tokio::time::Instant::now() + MIN_CHANGE_INTERVAL;
                Event::default().event("change").data(n.to_string())
            }
            page = st.em.events().read(after, Duration::from_secs(3600)) => {
                // Nothing after an hour's wait, or the server is stopping (reads stop waiting):
                // end the stream; EventSource reconnects if the server is still there.
                if page.events.is_empty() {
                    return None;
                }
                st.after = Some(page.last_sequence.max(after));
                let list: Vec<serde_json::Value> = page
                    .events
                    .into_iter()
                    .map(|e| serde_json::json!({
                        "Sequence": e.sequence,
                        "NotificationTarget": e.notification_target,
                        "Event": e.event,
                    }))
                    .collect();
                Event::default().event("events").data(serde_json::Value::Array(list).to_string())
            }
        };
        Some((Ok(event), st))
    })
}
