//! Typed prompt arguments: a `JsonSchema` struct gives the prompt's
//! `arguments` list (name, description, required), as a tool's arguments
//! give its `inputSchema`, and each call's string map deserializes into it.

use std::collections::HashMap;

use serde::de::value::{Error, MapDeserializer};
use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};
use serde_json::Value;

use crate::model::PromptArgument;

/// The `arguments` a prompt lists, read from its arguments' schema: one per
/// property, described by the field's doc comment, required when the schema
/// says so, in the order `order` gives (the struct's, as serde names its
/// fields; the schema's own map is sorted by name). A map type (no
/// properties) lists nothing.
pub(crate) fn arguments_from_schema(schema: &Value, order: &[&str]) -> Vec<PromptArgument> {
    let required: Vec<&str> =
        schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
    let Some(Value::Object(properties)) = schema.get("properties") else { return Vec::new() };
    let mut args: Vec<PromptArgument> = properties
        .iter()
        .map(|(name, p)| {
            let mut arg = PromptArgument::new(name.clone()).required(required.contains(&name.as_str()));
            if let Some(d) = p.get("description").and_then(Value::as_str) {
                arg = arg.with_description(d);
            }
            arg
        })
        .collect();
    args.sort_by_key(|a| order.iter().position(|f| *f == a.name).unwrap_or(usize::MAX));
    args
}

/// The field names of a struct `T`, in declaration order, as serde names
/// them: asked of `T`'s `Deserialize` impl, which passes them to
/// `deserialize_struct` (empty for anything that is not a struct).
pub(crate) fn field_order<'de, T: de::Deserialize<'de>>() -> &'static [&'static str] {
    struct Fields(&'static [&'static str]);
    impl<'de> de::Deserializer<'de> for &mut Fields {
        type Error = Error;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Error> {
            Err(de::Error::custom("not a struct"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Error> {
            self.0 = fields;
            Err(de::Error::custom("fields read"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option
            unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
        }
    }
    let mut fields = Fields(&[]);
    let _ = T::deserialize(&mut fields);
    fields.0
}

/// Deserializes `T` from the call's map, moving the strings.
pub(crate) fn from_map<T: DeserializeOwned>(map: HashMap<String, String>) -> Result<T, Error> {
    T::deserialize(MapDeserializer::new(map.into_iter().map(|(k, v)| (k, ArgValue(v)))))
}

/// One argument's value: a string, which an `Option` field takes as `Some`
/// (serde's own string deserializer refuses options).
struct ArgValue(String);

impl<'de> IntoDeserializer<'de, Error> for ArgValue {
    type Deserializer = Self;
    fn into_deserializer(self) -> Self {
        self
    }
}

impl<'de> de::Deserializer<'de> for ArgValue {
    type Error = Error;
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_string(self.0)
    }
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        de::Deserializer::deserialize_enum(self.0.into_deserializer(), name, variants, visitor)
    }
    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, schemars::JsonSchema, Debug, PartialEq)]
    #[serde(rename_all = "lowercase")]
    enum Tone {
        Warm,
        Dry,
    }

    #[derive(serde::Deserialize, schemars::JsonSchema, Debug, PartialEq)]
    struct Greet {
        /// Who to greet.
        name: String,
        /// How to sound.
        tone: Option<Tone>,
        /// Listed by its wire name.
        #[serde(rename = "aside")]
        an_aside: Option<String>,
    }

    #[test]
    fn a_struct_lists_its_fields_and_reads_the_map() {
        // Declaration order, not the schema's alphabetical one.
        let order = field_order::<Greet>();
        assert_eq!(order, ["name", "tone", "aside"]);
        let args = arguments_from_schema(&super::super::tool::schema_value::<Greet>(), order);
        let listed: Vec<_> = args.iter().map(|a| (a.name.as_str(), a.description.as_deref(), a.required)).collect();
        assert_eq!(
            listed,
            [
                ("name", Some("Who to greet."), true),
                ("tone", Some("How to sound."), false),
                ("aside", Some("Listed by its wire name."), false),
            ]
        );
        let map = HashMap::from([("name".to_owned(), "Ada".to_owned()), ("tone".to_owned(), "dry".to_owned())]);
        assert_eq!(
            from_map::<Greet>(map).unwrap(),
            Greet { name: "Ada".into(), tone: Some(Tone::Dry), an_aside: None }
        );
        let only_name = HashMap::from([("name".to_owned(), "Ada".to_owned())]);
        assert_eq!(from_map::<Greet>(only_name).unwrap(), Greet { name: "Ada".into(), tone: None, an_aside: None });
        assert!(field_order::<HashMap<String, String>>().is_empty());
        assert!(from_map::<Greet>(HashMap::new()).unwrap_err().to_string().contains("missing field `name`"));
    }
}
