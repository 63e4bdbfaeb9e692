// wasmlive's browser client: a plain ES module, no build step.
//
// Each element with `data-wasmlive-root` is one live view. The page arrives
// rendered (first paint over HTTP); this module then opens one WebSocket,
// mounts every view, and from then on sends events and applies the patches
// the server answers with (wire format: docs/vdom.md; protocol:
// docs/protocol.md). Without WebSockets, events go over HTTP POST.

const EVENTS = ["click", "submit", "change", "input"];
const LOADING = "wasmlive-loading";

class View {
  constructor(client, root) {
    this.client = client;
    this.root = root;
    this.path = root.dataset.view;
    this.params = JSON.parse(root.dataset.params || "{}"); // the client's own mount params
    this.signedParams = root.dataset.signedParams || null; // the URL's, signed by the first paint
    this.httpViewId = root.dataset.viewId || null; // the view the first paint mounted
    this.viewId = null;
    this.version = 0;
    // From `mounted`: after a reconnect the view is resumed with it rather than mounted again.
    this.resumeToken = null;
    this.resumeId = null;
    this.inFlight = 0;
    this.timers = new Map();
    // Bound inputs (`@input`, `@change`) whose latest value the server has
    // not answered yet: sent again once a resume keeps the DOM.
    this.unsent = new Set();
    for (const type of EVENTS) root.addEventListener(type, (e) => this.onDomEvent(type, e));
  }

  // Event delegation: the nearest element with `@type` between the target and the root.
  onDomEvent(type, event) {
    const attr = "@" + type;
    for (let el = event.target; el && el !== this.root.parentNode; el = el.parentNode) {
      if (el.nodeType !== 1 || !el.hasAttribute(attr)) continue;
      const name = el.getAttribute(attr);
      if (type === "submit") event.preventDefault();
      const params = paramsOf(el, type, event);
      const debounce = Number(el.dataset.debounce || (type === "input" ? 150 : 0));
      const component = el.closest("[data-component-id]");
      // A bound form control (not a form listening for its fields' events).
      const input = (type === "input" || type === "change") && el === event.target && "value" in el ? el : null;
      if (input) this.unsent.add(input);
      const send = () => this.send(name, params, component && this.root.contains(component) ? component.dataset.componentId : null, type === "submit" ? el : null, input);
      if (debounce > 0) {
        clearTimeout(this.timers.get(el));
        this.timers.set(el, setTimeout(send, debounce));
      } else {
        send();
      }
      return;
    }
  }

  // The mount frame; `claim` names the first paint's view, which the socket's replaces.
  mountFrame() {
    const frame = { type: "mount", view: this.path, params: this.params, url: location.pathname };
    if (this.signedParams) frame.signed_params = this.signedParams;
    if (this.httpViewId) frame.claim = this.httpViewId;
    return frame;
  }

  // After a reconnect: take the server's view back (its state, subscriptions
  // and this DOM stay); mount afresh only if the server has nothing to resume.
  reconnected() {
    if (!this.resumeToken || !this.resumeId) return this.client.request(this.mountFrame(), this);
    const frame = { type: "resume", view_id: this.resumeId, token: this.resumeToken, version: this.version };
    return this.client.request(frame, this).then((reply) => {
      if (reply.type === "resumed") this.resendInputs();
      if (reply.type === "resumed" || reply.type === "html_update") return reply;
      console.warn(`wasmlive: mount ${this.path} again (${reply.reason || reply.message})`);
      this.resumeToken = this.resumeId = null;
      return this.client.request(this.mountFrame(), this);
    });
  }

  send(event, params, componentId, form, input) {
    const frame = { type: "event", event, params, view_id: this.viewId || this.httpViewId };
    if (componentId) frame.component_id = componentId;
    const value = input ? valueOf(input) : undefined;
    this.busy(+1);
    this.client.request(frame, this).then((reply) => {
      this.busy(-1);
      if (reply.type !== "error" && form) form.reset();
      // Answered, and not typed into since: the server has this value.
      if (input && reply.type !== "error" && valueOf(input) === value) this.unsent.delete(input);
    });
  }

  // After "resumed": the bound inputs typed into while the connection was
  // down (their events failed or never went) send their events now, in the
  // order they were first touched.
  resendInputs() {
    for (const el of [...this.unsent]) {
      if (!this.root.contains(el)) {
        this.unsent.delete(el);
        continue;
      }
      const type = el.hasAttribute("@input") ? "input" : "change";
      const component = el.closest("[data-component-id]");
      const componentId = component && this.root.contains(component) ? component.dataset.componentId : null;
      this.send(el.getAttribute("@" + type), paramsOf(el, type, { target: el }), componentId, null, el);
    }
  }

  busy(delta) {
    this.inFlight += delta;
    this.root.classList.toggle(LOADING, this.inFlight > 0);
  }

  // A reply for this view: patches, full HTML, or an error; then the
  // events the server sent with it (push_event), applied or not.
  receive(frame) {
    this.apply(frame);
    for (const event of frame.events || []) {
      this.root.dispatchEvent(new CustomEvent(`wasmlive:${event.name}`, { detail: event.payload, bubbles: true }));
    }
  }

  apply(frame) {
    if (frame.type === "mounted") this.resumeToken = frame.resume_token || null;
    if (frame.type === "resumed") {
      this.viewId = frame.view_id;
      this.clearError();
    } else if (frame.type === "mounted" || frame.type === "html_update") {
      if (frame.view_id) this.viewId = frame.view_id;
      this.root.innerHTML = frame.html;
      this.version = frame.version;
      this.clearError();
    } else if (frame.type === "patch") {
      if (frame.version !== this.version + 1) return this.resync(`version ${frame.version} after ${this.version}`);
      const scope = frame.component_id ? this.root.querySelector(`[data-component-id="${CSS.escape(frame.component_id)}"]`) : this.root;
      try {
        applyPatches(scope || this.root, frame.patches);
        this.version = frame.version;
        this.clearError();
      } catch (e) {
        return this.resync(e.message);
      }
    } else if (frame.type === "error") {
      this.root.dataset.error = `${frame.error}: ${frame.message}`;
      this.root.classList.add("wasmlive-error");
      this.root.dispatchEvent(new CustomEvent("wasmlive:error", { detail: frame, bubbles: true }));
      if (frame.debug) showDebugOverlay(frame, this.path);
    }
  }

  // A view that answers again is no longer in error.
  clearError() {
    this.root.classList.remove("wasmlive-error");
    delete this.root.dataset.error;
  }

  resync(reason) {
    console.warn(`wasmlive: resync ${this.path} (${reason})`);
    this.client.request({ type: "resync", view_id: this.viewId || this.httpViewId }, this);
  }
}

// The server runs with DEBUG: show what view code raised, as Django's debug
// page does for plain views. One overlay at a time (the latest error);
// dismissed by its button or Escape. Text only: nothing is parsed as HTML.
function showDebugOverlay(frame, viewPath) {
  const old = document.getElementById("wasmlive-debug");
  if (old) old.remove();
  const d = frame.debug;
  const box = document.createElement("div");
  box.id = "wasmlive-debug";
  box.setAttribute("role", "alertdialog");
  box.style.cssText = "position:fixed;inset:5vh 5vw auto;max-height:90vh;overflow:auto;z-index:2147483647;" +
    "background:#fff;color:#222;border:3px solid #b00020;border-radius:6px;padding:16px 20px;" +
    "font:14px/1.4 system-ui,sans-serif;box-shadow:0 8px 32px rgba(0,0,0,.35);text-align:left";
  const add = (tag, text, css) => {
    const el = document.createElement(tag);
    el.textContent = text;
    if (css) el.style.cssText = css;
    box.appendChild(el);
    return el;
  };
  const close = add("button", "×", "float:right;font-size:20px;border:0;background:none;cursor:pointer");
  close.className = "wasmlive-debug-close";
  close.setAttribute("aria-label", "Dismiss");
  add("h2", `${d.exception || frame.error}`, "margin:0 0 4px;color:#b00020;font-size:18px").className = "wasmlive-debug-exception";
  add("p", frame.message, "margin:0 0 8px;font-weight:600;white-space:pre-wrap").className = "wasmlive-debug-message";
  const where = d.event ? `${d.view || viewPath}, ${d.event}` : d.view || viewPath;
  add("p", `in ${where}`, "margin:0 0 8px;color:#555").className = "wasmlive-debug-where";
  const list = document.createElement("ol");
  list.className = "wasmlive-debug-traceback";
  list.style.cssText = "margin:0;padding-left:20px;font:12px/1.5 ui-monospace,monospace";
  for (const f of d.traceback || []) {
    const item = document.createElement("li");
    item.textContent = `${f.file}:${f.line} in ${f.function}` + (f.code ? `\n    ${f.code}` : "");
    item.style.whiteSpace = "pre-wrap";
    list.appendChild(item);
  }
  box.appendChild(list);
  add("p", "Shown because the server runs with DEBUG = True.", "margin:8px 0 0;color:#777;font-size:12px");
  const dismiss = () => {
    box.remove();
    document.removeEventListener("keydown", onKey);
  };
  const onKey = (e) => {
    if (e.key === "Escape") dismiss();
  };
  close.addEventListener("click", dismiss);
  document.addEventListener("keydown", onKey);
  document.body.appendChild(box);
}

// Params of an event: the element's data-* (but data-key/-debounce/-component-id),
// the form's fields for submit, the value for change/input.
function valueOf(el) {
  return el.type === "checkbox" ? el.checked : el.value;
}

function paramsOf(el, type, event) {
  const params = {};
  for (const [k, v] of Object.entries(el.dataset)) {
    if (k !== "key" && k !== "debounce" && k !== "componentId") params[k] = v;
  }
  if (type === "submit" && el.tagName === "FORM") {
    for (const [k, v] of new FormData(el).entries()) if (typeof v === "string") params[k] = v;
  } else if ((type === "change" || type === "input") && "value" in event.target) {
    params.value = event.target.type === "checkbox" ? event.target.checked : event.target.value;
    if (event.target.name) params[event.target.name] = params.value;
  }
  return params;
}

function nodeAt(root, path) {
  let node = root;
  for (const i of path) {
    node = node.childNodes[i];
    if (!node) throw new Error(`no node at [${path}]`);
  }
  return node;
}

// Parse `html` in `parent`'s context into exactly `count` nodes.
function fragment(parent, html, count) {
  const range = document.createRange();
  range.selectNodeContents(parent.content ? parent.content : parent);
  const frag = range.createContextualFragment(html);
  if (count !== undefined && frag.childNodes.length !== count) {
    throw new Error(`expected ${count} nodes, parsed ${frag.childNodes.length}`);
  }
  return frag;
}

function children(node) {
  return node.content instanceof DocumentFragment ? node.content : node;
}

// Attribute names setAttribute refuses (`@click`) go through the parser.
function setAttribute(el, name, value) {
  try {
    el.setAttribute(name, value);
  } catch (_) {
    const tmp = document.createElement("template");
    tmp.innerHTML = `<span ${name}=""></span>`;
    const attr = tmp.content.firstChild.attributes[0].cloneNode();
    attr.value = value;
    el.setAttributeNode(attr);
  }
}

export function applyPatches(root, patches) {
  for (const p of patches) {
    switch (p.op) {
      case "set-text":
        nodeAt(root, p.path).data = p.text;
        break;
      case "set-attribute":
        setAttribute(nodeAt(root, p.path), p.name, p.value);
        break;
      case "remove-attribute":
        nodeAt(root, p.path).removeAttribute(p.name);
        break;
      case "replace-node": {
        const old = nodeAt(root, p.path);
        old.replaceWith(fragment(old.parentNode, p.html, 1));
        break;
      }
      case "insert-child": {
        const parent = children(nodeAt(root, p.parent));
        const frag = fragment(nodeAt(root, p.parent), p.html, p.count);
        if (p.index > parent.childNodes.length) throw new Error(`insert at ${p.index} of ${parent.childNodes.length}`);
        parent.insertBefore(frag, parent.childNodes[p.index] || null);
        break;
      }
      case "remove-child": {
        const parent = children(nodeAt(root, p.parent));
        if (p.index + p.count > parent.childNodes.length) throw new Error(`remove ${p.count} at ${p.index}`);
        for (let i = 0; i < p.count; i++) parent.removeChild(parent.childNodes[p.index]);
        break;
      }
      case "move-child": {
        const parent = children(nodeAt(root, p.parent));
        if (p.from + p.count > parent.childNodes.length) throw new Error(`move ${p.count} from ${p.from}`);
        const moved = [];
        for (let i = 0; i < p.count; i++) moved.push(parent.removeChild(parent.childNodes[p.from]));
        const before = parent.childNodes[p.to] || null;
        for (const n of moved) parent.insertBefore(n, before);
        break;
      }
      default:
        throw new Error(`unknown patch op ${p.op}`);
    }
  }
}

class Client {
  constructor(wsPath, transport) {
    this.url = new URL(wsPath, location.href);
    this.url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    this.views = [...document.querySelectorAll("[data-wasmlive-root]")].map((root) => new View(this, root));
    this.nextRef = 1;
    this.pending = new Map(); // ref → {view, resolve}
    this.attempt = 0;
    this.socket = null;
    // Over HTTP only when the browser has no WebSocket, or the page asks (data-transport="http").
    this.http = !("WebSocket" in window) || transport === "http";
    if (this.http) {
      for (const view of this.views) {
        view.version = 1; // the first paint is version 1 of the HTTP view
        // Claimed, or the server drops it after first_paint_seconds.
        if (view.httpViewId) this.post({ type: "claim", view_id: view.httpViewId }, view);
      }
    } else {
      this.connect();
    }
  }

  connect() {
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.onopen = () => {
      this.attempt = 0;
    };
    socket.onmessage = (e) => this.onFrame(JSON.parse(e.data));
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      for (const { view, resolve } of this.pending.values()) {
        resolve({ type: "error", error: "Disconnected", message: "connection lost" });
      }
      this.pending.clear();
      for (const view of this.views) {
        if (view.viewId) view.resumeId = view.viewId;
        view.viewId = null;
      }
      // Exponential backoff with full jitter, capped at 10 s.
      const delay = Math.random() * Math.min(10000, 250 * 2 ** this.attempt++);
      document.documentElement.dataset.wasmlive = "reconnecting";
      setTimeout(() => this.connect(), delay);
    };
  }

  onFrame(frame) {
    if (frame.type === "connected") {
      document.documentElement.dataset.wasmlive = "connected";
      for (const view of this.views) view.reconnected();
      return;
    }
    const waiting = frame.ref !== undefined ? this.pending.get(frame.ref) : undefined;
    if (waiting) this.pending.delete(frame.ref);
    const view = waiting ? waiting.view : this.views.find((v) => v.viewId && v.viewId === frame.view_id);
    if (view) view.receive(frame);
    if (waiting) waiting.resolve(frame);
  }

  request(frame, view) {
    frame.ref = this.nextRef++;
    return new Promise((resolve) => {
      if (!this.http && this.socket && this.socket.readyState === WebSocket.OPEN && (view.viewId || frame.type === "mount" || frame.type === "resume")) {
        this.pending.set(frame.ref, { view, resolve });
        this.socket.send(JSON.stringify(frame));
      } else if (this.http && view.httpViewId && frame.type !== "mount") {
        this.post(frame, view).then(resolve);
      } else {
        resolve({ type: "error", error: "NotConnected", message: "not connected" });
      }
    });
  }

  // The HTTP fallback: events (and resyncs) go to the view the first paint mounted.
  async post(frame, view) {
    frame.view_id = view.httpViewId;
    let reply;
    try {
      const response = await fetch(location.href, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(frame), credentials: "same-origin" });
      reply = await response.json();
    } catch (e) {
      reply = { type: "error", error: "NetworkError", message: String(e) };
    }
    const frames = Array.isArray(reply) ? reply : [reply];
    for (const f of frames) view.receive(f);
    return frames[frames.length - 1];
  }
}

const script = document.querySelector("script[data-ws-path]");
export const client = new Client(script ? script.dataset.wsPath : "/ws/live/", script ? script.dataset.transport : undefined);
window.wasmlive = client;
