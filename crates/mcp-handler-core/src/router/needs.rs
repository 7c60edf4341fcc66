//! What a handler's parameters need, gathered once at registration and
//! checked by `RouterBuilder::build`: a handler that would fail on every
//! call fails the build instead.

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The input a parameter consumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Input {
    /// A tool's or prompt's `arguments`.
    Arguments,
    /// A resource read's URI and template variables.
    Resource,
}

/// A `State<T>` a handler extracts: the type's name, and how to find it.
#[derive(Clone, Copy)]
pub(crate) struct StateNeed {
    pub(crate) type_name: &'static str,
    pub(crate) present: fn(&http::Extensions) -> bool,
}

/// What a handler's extractors declared (see `FromCall::describe`).
#[derive(Default)]
pub struct Needs {
    pub(crate) schema: Option<Value>,
    /// The arguments struct's field names, in declaration order.
    pub(crate) fields: &'static [&'static str],
    pub(crate) states: Vec<StateNeed>,
    pub(crate) inputs: Vec<(Input, &'static str)>,
}

impl std::fmt::Debug for Needs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let states: Vec<&str> = self.states.iter().map(|s| s.type_name).collect();
        f.debug_struct("Needs").field("states", &states).field("inputs", &self.inputs).finish_non_exhaustive()
    }
}

impl Needs {
    /// Declares that the handler needs the router's state of type `T`.
    pub fn state<T: Send + Sync + 'static>(&mut self) {
        self.states.push(StateNeed {
            type_name: std::any::type_name::<T>(),
            present: |ext: &http::Extensions| ext.get::<T>().is_some(),
        });
    }

    pub(crate) fn arguments<T: JsonSchema + DeserializeOwned>(&mut self) {
        self.schema = Some(super::tool::schema_value::<T>());
        self.fields = super::prompt_args::field_order::<T>();
        self.input(Input::Arguments, std::any::type_name::<T>());
    }

    pub(crate) fn input(&mut self, input: Input, name: &'static str) {
        self.inputs.push((input, name));
    }

    /// Why a handler of a kind that takes `accepted` cannot work, if it cannot.
    pub(crate) fn problem(&self, accepted: Input) -> Option<String> {
        if let [(_, a), (_, b), ..] = self.inputs[..] {
            return Some(format!("two parameters read the same input ({a} and {b}); keep one"));
        }
        match self.inputs.first() {
            Some(&(input, name)) if input != accepted => Some(match input {
                Input::Arguments => format!("resource handlers take no arguments, but a parameter is {name}"),
                Input::Resource => format!("{name} is only given to resource handlers"),
            }),
            _ => None,
        }
    }

    /// The first state this handler needs that `state` lacks.
    pub(crate) fn missing_state(&self, state: &http::Extensions) -> Option<&'static str> {
        self.states.iter().find(|s| !(s.present)(state)).map(|s| s.type_name)
    }
}
