//! Every request method the server answers, parsed once from the
//! message's `method` (mini-redis' `Command`): the endpoint, the session
//! handling, the 2026 method table, `Router::offers` and dispatch all read
//! this enum, so a new method is one variant here and one dispatch module.

use crate::jsonrpc::Incoming;
use crate::version::Generation;

/// A request method this server knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Method {
    Initialize,
    Ping,
    ServerDiscover,
    SubscriptionsListen,
    LoggingSetLevel,
    ToolsList,
    ToolsCall,
    ResourcesList,
    ResourcesTemplatesList,
    ResourcesRead,
    ResourcesSubscribe,
    ResourcesUnsubscribe,
    PromptsList,
    PromptsGet,
    CompletionComplete,
}

/// The registry part a method serves: a server that registered none of it
/// does not offer the method (2026 answers `-32601`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Feature {
    Tools,
    Resources,
    Prompts,
    Completions,
}

impl Method {
    /// Every method, for tests.
    #[cfg(test)]
    pub(crate) const ALL: [Self; 15] = [
        Self::Initialize,
        Self::Ping,
        Self::ServerDiscover,
        Self::SubscriptionsListen,
        Self::LoggingSetLevel,
        Self::ToolsList,
        Self::ToolsCall,
        Self::ResourcesList,
        Self::ResourcesTemplatesList,
        Self::ResourcesRead,
        Self::ResourcesSubscribe,
        Self::ResourcesUnsubscribe,
        Self::PromptsList,
        Self::PromptsGet,
        Self::CompletionComplete,
    ];

    /// The method named `name`; `None` for a method this server does not know.
    pub(crate) fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "initialize" => Self::Initialize,
            "ping" => Self::Ping,
            "server/discover" => Self::ServerDiscover,
            "subscriptions/listen" => Self::SubscriptionsListen,
            "logging/setLevel" => Self::LoggingSetLevel,
            "tools/list" => Self::ToolsList,
            "tools/call" => Self::ToolsCall,
            "resources/list" => Self::ResourcesList,
            "resources/templates/list" => Self::ResourcesTemplatesList,
            "resources/read" => Self::ResourcesRead,
            "resources/subscribe" => Self::ResourcesSubscribe,
            "resources/unsubscribe" => Self::ResourcesUnsubscribe,
            "prompts/list" => Self::PromptsList,
            "prompts/get" => Self::PromptsGet,
            "completion/complete" => Self::CompletionComplete,
            _ => return None,
        })
    }

    /// The method of a request message; `None` for an unknown method, a
    /// notification or a response.
    pub(crate) fn of_request(msg: &Incoming<'_>) -> Option<Self> {
        match msg {
            Incoming::Request { method, .. } => Self::parse(method),
            _ => None,
        }
    }

    /// The wire name.
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Self::Initialize => "initialize",
            Self::Ping => "ping",
            Self::ServerDiscover => "server/discover",
            Self::SubscriptionsListen => "subscriptions/listen",
            Self::LoggingSetLevel => "logging/setLevel",
            Self::ToolsList => "tools/list",
            Self::ToolsCall => "tools/call",
            Self::ResourcesList => "resources/list",
            Self::ResourcesTemplatesList => "resources/templates/list",
            Self::ResourcesRead => "resources/read",
            Self::ResourcesSubscribe => "resources/subscribe",
            Self::ResourcesUnsubscribe => "resources/unsubscribe",
            Self::PromptsList => "prompts/list",
            Self::PromptsGet => "prompts/get",
            Self::CompletionComplete => "completion/complete",
        }
    }

    /// Whether `generation` has this method. The 2026 generation dropped
    /// `initialize`, `ping`, `logging/setLevel` and `resources/(un)subscribe`
    /// and added `server/discover` and `subscriptions/listen`.
    pub(crate) const fn in_generation(self, generation: Generation) -> bool {
        match self {
            Self::Initialize
            | Self::Ping
            | Self::LoggingSetLevel
            | Self::ResourcesSubscribe
            | Self::ResourcesUnsubscribe => matches!(generation, Generation::V2025),
            Self::ServerDiscover | Self::SubscriptionsListen => matches!(generation, Generation::V2026),
            Self::ToolsList
            | Self::ToolsCall
            | Self::ResourcesList
            | Self::ResourcesTemplatesList
            | Self::ResourcesRead
            | Self::PromptsList
            | Self::PromptsGet
            | Self::CompletionComplete => true,
        }
    }

    /// The registry part this method serves, if it serves one.
    pub(crate) const fn feature(self) -> Option<Feature> {
        match self {
            Self::ToolsList | Self::ToolsCall => Some(Feature::Tools),
            Self::ResourcesList
            | Self::ResourcesTemplatesList
            | Self::ResourcesRead
            | Self::ResourcesSubscribe
            | Self::ResourcesUnsubscribe => Some(Feature::Resources),
            Self::PromptsList | Self::PromptsGet => Some(Feature::Prompts),
            Self::CompletionComplete => Some(Feature::Completions),
            Self::Initialize
            | Self::Ping
            | Self::ServerDiscover
            | Self::SubscriptionsListen
            | Self::LoggingSetLevel => None,
        }
    }

    /// The params member a 2026 request repeats in `Mcp-Name` (SEP-2243).
    pub(crate) const fn named_by(self) -> Option<&'static str> {
        match self {
            Self::ToolsCall | Self::PromptsGet => Some("name"),
            Self::ResourcesRead => Some("uri"),
            _ => None,
        }
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_none() {
        for m in Method::ALL {
            assert_eq!(Method::parse(m.as_str()), Some(m));
        }
        assert_eq!(Method::parse("tools/cal"), None);
        assert_eq!(Method::parse("Tools/list"), None);
    }

    #[test]
    fn the_2026_table_is_the_spec_s() {
        let v2026: Vec<&str> =
            Method::ALL.iter().filter(|m| m.in_generation(Generation::V2026)).map(|m| m.as_str()).collect();
        assert_eq!(
            v2026,
            [
                "server/discover",
                "subscriptions/listen",
                "tools/list",
                "tools/call",
                "resources/list",
                "resources/templates/list",
                "resources/read",
                "prompts/list",
                "prompts/get",
                "completion/complete"
            ]
        );
        assert!(!Method::Initialize.in_generation(Generation::V2026));
        assert!(!Method::ServerDiscover.in_generation(Generation::V2025));
    }
}
