//! Receives a render context either as JSON text or as a flattened value
//! list and builds the same `serde_json::Value` tree from each, so the
//! benchmark compares the whole cost of each way in.

#[cfg(target_arch = "wasm32")]
mod component {
    use exports::wasmlive::fixtures::probe::{Guest, Value as Flat};
    use serde_json::{Map, Value};

    wit_bindgen::generate!({ path: ["../../../wit", "../wit"], world: "wasmlive:fixtures/context-probe" });

    struct Probe;

    impl Guest for Probe {
        fn take_json(context: String) -> u32 {
            let value: Value = serde_json::from_str(&context).unwrap_or(Value::Null);
            count(&value)
        }

        fn take_values(context: Vec<Flat>) -> u32 {
            let mut items = context.into_iter();
            let value = build(&mut items);
            count(&value)
        }
    }

    fn build(items: &mut impl Iterator<Item = Flat>) -> Value {
        match items.next() {
            None | Some(Flat::Null) | Some(Flat::Key(_)) => Value::Null,
            Some(Flat::Boolean(b)) => Value::Bool(b),
            Some(Flat::Integer(i)) => Value::from(i),
            Some(Flat::Float(f)) => Value::from(f),
            Some(Flat::Text(s)) => Value::String(s),
            Some(Flat::Array(n)) => Value::Array((0..n).map(|_| build(items)).collect()),
            Some(Flat::Object(n)) => {
                let mut map = Map::new();
                for _ in 0..n {
                    let key = match items.next() {
                        Some(Flat::Key(k)) => k,
                        _ => String::new(),
                    };
                    map.insert(key, build(items));
                }
                Value::Object(map)
            }
        }
    }

    fn count(value: &Value) -> u32 {
        1 + match value {
            Value::Array(a) => a.iter().map(count).sum(),
            Value::Object(o) => o.values().map(count).sum(),
            _ => 0,
        }
    }

    export!(Probe);
}
