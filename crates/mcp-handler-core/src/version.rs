//! Protocol revisions this crate speaks, and the two generations they
//! form.
//!
//! One vocabulary everywhere (types, functions, docs): the **2025
//! generation** is every revision that opens with `initialize`
//! (2024-11-05 through 2025-11-25: a handshake, optional sessions,
//! server-to-client requests over SSE); the **2026 generation** is
//! 2026-07-28 (no handshake, every request carries `_meta` and routing
//! headers, input-required results instead of server-to-client requests).

use std::fmt;

/// The two generations of the protocol (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Generation {
    /// 2024-11-05 through 2025-11-25: `initialize`, sessions, back channel.
    V2025,
    /// 2026-07-28: per-request `_meta`, `server/discover`, input-required results.
    V2026,
}

/// An MCP protocol revision.
///
/// Ordered by date, so `v >= ProtocolVersion::V2025_06_18` reads as
/// "this client speaks at least 2025-06-18".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum ProtocolVersion {
    /// 2024-11-05 (HTTP+SSE era; accepted in negotiation only).
    V2024_11_05,
    /// 2025-03-26: streamable HTTP, batches.
    V2025_03_26,
    /// 2025-06-18: no batches, structured output, elicitation.
    V2025_06_18,
    /// 2025-11-25: SSE priming, icons, URL elicitation.
    V2025_11_25,
    /// 2026-07-28: the 2026 generation; every request carries its version in `_meta`.
    V2026_07_28,
}

impl ProtocolVersion {
    /// Every revision of the 2025 generation, oldest first.
    pub const GENERATION_2025: &'static [Self] =
        &[Self::V2024_11_05, Self::V2025_03_26, Self::V2025_06_18, Self::V2025_11_25];

    /// The newest revision of the 2025 generation (what `initialize`
    /// answers a client that asks for a revision this crate does not know).
    pub const LATEST_2025: Self = Self::V2025_11_25;

    /// Every revision this crate serves, newest first (what `server/discover`
    /// and `UnsupportedProtocolVersionError` list).
    pub const SUPPORTED: &'static [Self] =
        &[Self::V2026_07_28, Self::V2025_11_25, Self::V2025_06_18, Self::V2025_03_26, Self::V2024_11_05];

    /// Assumed when a client sends no `MCP-Protocol-Version` header.
    pub const HTTP_DEFAULT: Self = Self::V2025_03_26;

    /// The wire string, e.g. `"2025-06-18"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::V2024_11_05 => "2024-11-05",
            Self::V2025_03_26 => "2025-03-26",
            Self::V2025_06_18 => "2025-06-18",
            Self::V2025_11_25 => "2025-11-25",
            Self::V2026_07_28 => "2026-07-28",
        }
    }

    /// Parses a wire string; `None` for revisions this crate does not speak.
    pub fn parse(s: &str) -> Option<Self> {
        Self::SUPPORTED.iter().copied().find(|v| v.as_str() == s)
    }

    /// The generation this revision belongs to.
    pub const fn generation(self) -> Generation {
        match self {
            Self::V2026_07_28 => Generation::V2026,
            _ => Generation::V2025,
        }
    }

    /// Whether this revision is of the 2026 generation.
    pub const fn is_2026(self) -> bool {
        matches!(self.generation(), Generation::V2026)
    }

    /// Whether JSON-RPC batches are allowed (2025-03-26 and older).
    pub fn allows_batches(self) -> bool {
        self <= Self::V2025_03_26
    }

    /// Whether POST SSE streams open with a priming event (SEP-1699).
    pub fn sends_priming_event(self) -> bool {
        self == Self::V2025_11_25
    }
}

impl fmt::Display for ProtocolVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
