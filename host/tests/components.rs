//! Live components inside their views, from Rust: created by the view,
//! their own events and props, messages to the parent, and when the parent
//! renders.

mod common;

use common::{ask, obj};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use wasmlive::actors::{
    ActorConfig, ActorError, ActorSupervisor, ComponentEvent, ComponentLogic, ComponentProps, ComponentRequest,
    Delivery::Wait, HandlerError, LogicFuture, MountRequest, State, TemplateSource, ToParent, ViewLogic,
};
use wasmlive::engine_host::Patch;

/// A todo-list component that tells its parent when an item is done.
struct TodoList;

impl ComponentLogic for TodoList {
    fn handle_event<'a>(
        &'a mut self,
        event: &'a str,
        params: &'a State,
        state: &'a mut State,
        parent: &'a mut ToParent,
    ) -> LogicFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            match event {
                "select" => {
                    state.insert("selected".into(), params["item"].clone());
                }
                "done" => parent.send("item_done", obj(json!({"item": params["item"].clone()}))),
                _ => return Err(HandlerError::UnknownEvent { view: "TodoList".into(), event: event.into() }),
            }
            Ok(())
        })
    }
}

/// The parent: counts finished items.
struct TodoPage;

impl ViewLogic for TodoPage {
    fn handle_event<'a>(
        &'a mut self,
        event: &'a str,
        _params: &'a State,
        state: &'a mut State,
    ) -> LogicFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            if event != "item_done" {
                return Err(HandlerError::UnknownEvent { view: "TodoPage".into(), event: event.into() });
            }
            let done = state.get("done").and_then(Value::as_i64).unwrap_or(0);
            state.insert("done".into(), json!(done + 1));
            Ok(())
        })
    }
}

#[tokio::test]
async fn components_render_handle_events_message_their_parent_and_go_with_their_view() {
    let supervisor = ActorSupervisor::start(ActorConfig::default()).unwrap();
    let session = supervisor.get_or_create_session("c");
    let page = "<main><b>{{ done|default:0 }} done</b>{{ components.todos|safe }}</main>";
    let renders = Arc::new(AtomicUsize::new(0));
    let logic = CountsRenders { inner: TodoPage, renders: renders.clone() };
    let page = ask(session.mount(MountRequest::new("page", TemplateSource::Inline(page.into())).logic(logic), Wait)).await.unwrap();
    let (view_id, view) = (page.view_id.clone(), page.view.clone());
    let todos = ComponentRequest::new(
        "todos",
        "<ul data-selected=\"{{ selected }}\">{% for i in items %}<li>{{ i }}</li>{% endfor %}</ul>",
        obj(json!({"items": ["a", "b"], "selected": ""})),
    )
    .logic(TodoList);
    let html = ask(view.create_component(todos, Wait)).await.unwrap();
    assert_eq!(html, "<ul data-selected=\"\"><li>a</li><li>b</li></ul>");
    assert_eq!(supervisor.stats().active_components, 1);
    let component_event = |name: &str, params: State| view.component_event(ComponentEvent::new("todos", name, params), Wait);

    // A component-only change: patches inside the component's root, and
    // no render of the parent (its state did not change).
    let before = renders.load(Relaxed);
    let r = ask(component_event("select", obj(json!({"item": "b"})))).await.unwrap();
    assert_eq!(r.component_id.as_deref(), Some("todos"));
    assert_eq!(
        r.patches.unwrap(),
        vec![Patch::SetAttribute { path: vec![0], name: "data-selected".into(), value: "b".into() }]
    );
    // Props from the parent: the component's patches alone, again.
    let props = ComponentProps { component_id: "todos".into(), props: obj(json!({"items": ["a", "b", "c"]})) };
    let r = ask(view.update_component_props(props, Wait)).await.unwrap();
    assert_eq!(r.patches.unwrap(), vec![Patch::InsertChild { parent: vec![0], index: 2, html: "<li>c</li>".into(), count: 1 }]);
    assert_eq!(renders.load(Relaxed), before, "the parent was not rendered for its components' changes");
    // SendToParent: the parent's handler runs, and its diff (relative to the
    // page with the component as the client now has it: the two changes
    // above are not sent again) goes out.
    let r = ask(component_event("done", obj(json!({"item": "a"})))).await.unwrap();
    assert_eq!(r.component_id, None);
    assert_eq!(r.patches.unwrap(), vec![Patch::SetText { path: vec![0, 0, 0], text: "1 done".into() }]);
    // Once to take the components' HTML in, once for the new state.
    assert_eq!(renders.load(Relaxed), before + 2);

    let err = ask(view.component_event(ComponentEvent::new("nope", "select", State::new()), Wait)).await.unwrap_err();
    assert_eq!(err, ActorError::ComponentNotFound("nope".into()));
    let err = ask(component_event("explode", State::new())).await.unwrap_err();
    assert!(matches!(err, ActorError::Handler(HandlerError::UnknownEvent { .. })));

    // A component's change, then its removal: the parent's next diff takes
    // the component out of the page as the client has it.
    ask(component_event("select", obj(json!({"item": "c"})))).await.unwrap();
    ask(view.remove_component("todos", Wait)).await.unwrap();
    assert_eq!(supervisor.stats().active_components, 0);
    let r = ask(view.render_with_diff(Wait)).await.unwrap();
    assert_eq!(r.patches.unwrap(), vec![Patch::RemoveChild { parent: vec![0], index: 1, count: 1 }]);
    ask(view.create_component(ComponentRequest::new("again", "<i>{{ x }}</i>", obj(json!({"x": 1}))), Wait)).await.unwrap();
    assert_eq!(supervisor.stats().active_components, 1);
    ask(session.unmount(&view_id, Wait)).await.unwrap();
    assert_eq!(supervisor.stats().active_components, 0, "components go with their view");
    supervisor.shutdown_all().await;
}

/// A view's logic that counts its renders (each render asks for the context).
struct CountsRenders<L> {
    inner: L,
    renders: Arc<AtomicUsize>,
}

impl<L: ViewLogic> ViewLogic for CountsRenders<L> {
    fn handle_event<'a>(&'a mut self, event: &'a str, params: &'a State, state: &'a mut State) -> LogicFuture<'a, Result<(), HandlerError>> {
        self.inner.handle_event(event, params, state)
    }

    fn context<'a>(&self, state: &'a State) -> Result<std::borrow::Cow<'a, State>, HandlerError> {
        self.renders.fetch_add(1, Relaxed);
        self.inner.context(state)
    }
}

