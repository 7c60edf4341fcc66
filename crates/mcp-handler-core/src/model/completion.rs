use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// What a completion request completes an argument of.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
#[non_exhaustive]
pub enum CompletionReference {
    /// A prompt, by name.
    #[serde(rename = "ref/prompt")]
    Prompt {
        /// Prompt name.
        name: String,
    },
    /// A resource template, by URI template.
    #[serde(rename = "ref/resource")]
    Resource {
        /// The URI template.
        uri: String,
    },
}

/// A `completion/complete` request as a handler sees it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CompleteRequest {
    /// What is completed.
    pub reference: CompletionReference,
    /// The argument's name.
    pub argument: String,
    /// What the user typed so far.
    pub value: String,
    /// Values of other, already resolved arguments.
    pub context: HashMap<String, String>,
}

/// The completion values (at most 100 are sent).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Completion {
    /// Candidate values.
    pub values: Vec<String>,
    /// Total number of candidates, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    /// Whether more candidates exist than were sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_more: Option<bool>,
}

impl Completion {
    /// Candidates; more than 100 are cut to 100 with `hasMore` and `total` set.
    pub fn new(mut values: Vec<String>) -> Self {
        let total = values.len();
        if total > 100 {
            values.truncate(100);
            return Self { values, total: Some(total as u64), has_more: Some(true) };
        }
        Self { values, total: Some(total as u64), has_more: Some(false) }
    }
}

impl From<Vec<String>> for Completion {
    fn from(values: Vec<String>) -> Self {
        Self::new(values)
    }
}
