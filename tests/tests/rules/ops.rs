//! The steps a random sequence is made of, and how proptest draws them.
//! Clients, associations and types are picked with `Index` (resolved
//! against what exists when the step runs), so a shrunk sequence stays valid.

use proptest::prelude::*;
use proptest::sample::Index;

/// What a new PM Hub client is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Individual,
    Company,
    Trust,
    Partnership,
    SoleTrader,
    /// An organisation without a business structure: XPM refuses its relationships.
    Unstructured,
}

/// Which field a PM Hub edit changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PmHubField {
    Name,
    Email,
    Phone,
    Address,
}

/// Which field a person changes directly in XPM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XpmField {
    Email,
    Phone,
    Name,
}

/// Which XPM organisations the admin grants in Xero's consent page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    First,
    Second,
    Both,
}

/// Which XPM API calls a fault rule hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultCall {
    Add,
    Update,
    AddRelationship,
    UpdateRelationship,
    Search,
    Get,
    Any,
}

/// What the fault does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultPlay {
    TooManyRequests,
    ServiceUnavailable,
    InternalError,
    BadGateway,
    Latency,
    CloseBeforeAnswer,
    CommitThenDrop,
}

#[derive(Debug, Clone)]
pub enum Op {
    // PM Hub's own records.
    CreateClient {
        shape: Shape,
    },
    UpdateClient {
        client: Index,
        field: PmHubField,
    },
    Deactivate {
        client: Index,
    },
    Reactivate {
        client: Index,
    },
    Delete {
        client: Index,
    },
    AddAssociation {
        client: Index,
        related: Index,
        kind: Index,
        shares: Option<u32>,
    },
    RemoveAssociation {
        which: Index,
    },
    CreateAssociationType,
    /// Maps (or with `None` unmaps) an association type; a mapped type mapped again is a remap.
    Map {
        kind: Index,
        to: Option<Index>,
    },
    // The connection.
    Connect {
        grant: Grant,
    },
    ExpireTokens,
    AdvanceClock {
        minutes: u8,
    },
    RevokeInXpm,
    Disconnect,
    CheckConnection,
    // A person in XPM.
    EditInXpm {
        client: Index,
        field: XpmField,
    },
    SeedLookAlike {
        client: Index,
    },
    // The Sync button, and the preview beside it.
    Sync {
        client: Index,
        link: bool,
    },
    Preview {
        client: Index,
    },
    // XPM misbehaving.
    /// The next create is made but its outcome cannot be learnt (see `xpm_faults`).
    LoseTheNextCreate,
    Fault {
        call: FaultCall,
        play: FaultPlay,
        times: u8,
    },
}

fn shape() -> impl Strategy<Value = Shape> {
    prop_oneof![
        Just(Shape::Individual),
        Just(Shape::Company),
        Just(Shape::Trust),
        Just(Shape::Partnership),
        Just(Shape::SoleTrader),
        Just(Shape::Unstructured),
    ]
}

fn fault() -> impl Strategy<Value = Op> {
    let call = prop_oneof![
        Just(FaultCall::Add),
        Just(FaultCall::Update),
        Just(FaultCall::AddRelationship),
        Just(FaultCall::UpdateRelationship),
        Just(FaultCall::Search),
        Just(FaultCall::Get),
        Just(FaultCall::Any),
    ];
    let play = prop_oneof![
        1 => Just(FaultPlay::TooManyRequests),
        1 => Just(FaultPlay::ServiceUnavailable),
        1 => Just(FaultPlay::InternalError),
        1 => Just(FaultPlay::BadGateway),
        1 => Just(FaultPlay::Latency),
        1 => Just(FaultPlay::CloseBeforeAnswer),
        3 => Just(FaultPlay::CommitThenDrop),
    ];
    (call, play, 1u8..=3).prop_map(|(call, play, times)| Op::Fault { call, play, times })
}

pub fn op() -> impl Strategy<Value = Op> {
    let idx = any::<Index>;
    prop_oneof![
        3 => shape().prop_map(|shape| Op::CreateClient { shape }),
        2 => (idx(), prop_oneof![Just(PmHubField::Name), Just(PmHubField::Email), Just(PmHubField::Phone), Just(PmHubField::Address)])
            .prop_map(|(client, field)| Op::UpdateClient { client, field }),
        1 => idx().prop_map(|client| Op::Deactivate { client }),
        1 => idx().prop_map(|client| Op::Reactivate { client }),
        1 => idx().prop_map(|client| Op::Delete { client }),
        4 => (idx(), idx(), idx(), proptest::option::of(1u32..5000))
            .prop_map(|(client, related, kind, shares)| Op::AddAssociation { client, related, kind, shares }),
        1 => idx().prop_map(|which| Op::RemoveAssociation { which }),
        1 => Just(Op::CreateAssociationType),
        2 => (idx(), proptest::option::of(idx())).prop_map(|(kind, to)| Op::Map { kind, to }),
        3 => prop_oneof![Just(Grant::First), Just(Grant::Second), Just(Grant::Both)]
            .prop_map(|grant| Op::Connect { grant }),
        1 => Just(Op::ExpireTokens),
        1 => (1u8..=45).prop_map(|minutes| Op::AdvanceClock { minutes }),
        1 => Just(Op::RevokeInXpm),
        1 => Just(Op::Disconnect),
        1 => Just(Op::CheckConnection),
        2 => (idx(), prop_oneof![Just(XpmField::Email), Just(XpmField::Phone), Just(XpmField::Name)])
            .prop_map(|(client, field)| Op::EditInXpm { client, field }),
        2 => idx().prop_map(|client| Op::SeedLookAlike { client }),
        10 => (idx(), any::<bool>()).prop_map(|(client, link)| Op::Sync { client, link }),
        2 => idx().prop_map(|client| Op::Preview { client }),
        3 => fault(),
        1 => Just(Op::LoseTheNextCreate),
    ]
}

/// A case's steps (after the fixed prologue of `Case::start`: three
/// clients, three associations, two mapped types, a look-alike in XPM, connected).
pub fn sequence(max_len: usize) -> impl Strategy<Value = Vec<Op>> {
    proptest::collection::vec(op(), 1..max_len)
}
