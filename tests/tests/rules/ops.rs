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
    /// Cleared in PM Hub: XPM must then be cleared too.
    ClearEmail,
    ClearPhone,
    ClearAddress,
    /// Individual to organisation or back: the other kind's fields go.
    SwitchKind,
}

/// Which field a person changes directly in XPM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XpmField {
    Email,
    Phone,
    Name,
    /// A person clears the email in XPM.
    ClearEmail,
}

/// What a look-alike a person already has in XPM shares with a PM Hub client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookAlikeKey {
    /// The name in other case.
    Name,
    /// Only the email (another name).
    Email,
    /// Only the business number, written another way (another name).
    BusinessNumber,
}

/// What a person does to a client in XPM that takes it from PM Hub's reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GoneBy {
    Archive,
    Delete,
    /// Merged into another client a person made.
    Merge,
}

/// Which XPM organisations the admin grants in Xero's consent page. The app
/// connects to what that consent granted: Second switches to the second
/// organisation; Both asks, and the admin picks the first (where the
/// prologue's clients are, so that most steps still have them to work on).
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
    /// A second PM Hub client bearing an existing one's name (its other keys
    /// its own): both look like the first's XPM client.
    CreateTwin {
        of: Index,
    },
    UpdateClient {
        client: Index,
        field: PmHubField,
    },
    /// PM Hub sends a client by its own id (one of a few), as it holds it:
    /// the first time it is created, then sent again as it was (`edit`
    /// none: nothing may change) or edited.
    PutFromPmHub {
        slot: u8,
        shape: Shape,
        edit: Option<PmHubField>,
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
    /// Changes an association's shares (on a shareholding), percentage and end date.
    ChangeTerms {
        which: Index,
        shares: Option<u32>,
        percentage: Option<u16>,
        end: bool,
    },
    /// Removes an association and adds it again with other terms.
    ReAddAssociation {
        which: Index,
        shares: Option<u32>,
    },
    CreateAssociationType,
    /// Maps (or with `None` unmaps) an association type to one of the
    /// shipped list's types; a mapped type mapped again is a remap.
    Map {
        kind: Index,
        to: Option<Index>,
    },
    /// A mapping saved by an earlier version to a name XPM does not have
    /// ("Appointor", "Director Of"), found in the store as it was.
    OldMapping {
        kind: Index,
        name: OldTypeName,
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
        by: LookAlikeKey,
    },
    /// A person archives, deletes or merges a synced client in XPM.
    GoneInXpm {
        client: Index,
        by: GoneBy,
    },
    /// A person adds, in XPM, the relationship an association would make
    /// (between the XPM copies, of the mapped type), if XPM has none of that type yet.
    RelateInXpm {
        which: Index,
        /// With the association's own terms (else other terms).
        same_terms: bool,
    },
    /// A person changes, in XPM, the terms of a relationship PM Hub synced.
    EditTermsInXpm {
        which: Index,
    },
    /// A person deletes, in XPM, a relationship PM Hub synced.
    DeleteRelationshipInXpm {
        which: Index,
    },
    /// A person forgets a client's link to XPM.
    Unlink {
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

/// Names the closed list of earlier versions offered, which XPM refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OldTypeName {
    Appointor,
    DirectorOf,
}

impl OldTypeName {
    pub fn name(self) -> &'static str {
        match self {
            Self::Appointor => "Appointor",
            Self::DirectorOf => "Director Of",
        }
    }
}

pub fn op() -> impl Strategy<Value = Op> {
    let idx = any::<Index>;
    prop_oneof![
        3 => shape().prop_map(|shape| Op::CreateClient { shape }),
        1 => any::<Index>().prop_map(|of| Op::CreateTwin { of }),
        3 => (idx(), prop_oneof![
                Just(PmHubField::Name), Just(PmHubField::Email), Just(PmHubField::Phone), Just(PmHubField::Address),
                Just(PmHubField::ClearEmail), Just(PmHubField::ClearPhone), Just(PmHubField::ClearAddress),
                Just(PmHubField::SwitchKind),
            ])
            .prop_map(|(client, field)| Op::UpdateClient { client, field }),
        2 => (0u8..3, shape(), prop::option::of(prop_oneof![
                Just(PmHubField::Name), Just(PmHubField::Email), Just(PmHubField::ClearEmail),
                Just(PmHubField::SwitchKind),
            ]))
            .prop_map(|(slot, shape, edit)| Op::PutFromPmHub { slot, shape, edit }),
        1 => idx().prop_map(|client| Op::Deactivate { client }),
        1 => idx().prop_map(|client| Op::Reactivate { client }),
        1 => idx().prop_map(|client| Op::Delete { client }),
        4 => (idx(), idx(), idx(), proptest::option::of(1u32..5000))
            .prop_map(|(client, related, kind, shares)| Op::AddAssociation { client, related, kind, shares }),
        1 => idx().prop_map(|which| Op::RemoveAssociation { which }),
        3 => (idx(), proptest::option::of(1u32..5000), proptest::option::of(0u16..=10_000), any::<bool>())
            .prop_map(|(which, shares, percentage, end)| Op::ChangeTerms { which, shares, percentage, end }),
        1 => (idx(), proptest::option::of(1u32..5000)).prop_map(|(which, shares)| Op::ReAddAssociation { which, shares }),
        1 => Just(Op::CreateAssociationType),
        2 => (idx(), proptest::option::of(idx())).prop_map(|(kind, to)| Op::Map { kind, to }),
        1 => (idx(), prop_oneof![Just(OldTypeName::Appointor), Just(OldTypeName::DirectorOf)])
            .prop_map(|(kind, name)| Op::OldMapping { kind, name }),
        3 => prop_oneof![Just(Grant::First), Just(Grant::Second), Just(Grant::Both)]
            .prop_map(|grant| Op::Connect { grant }),
        1 => Just(Op::ExpireTokens),
        1 => (1u8..=45).prop_map(|minutes| Op::AdvanceClock { minutes }),
        1 => Just(Op::RevokeInXpm),
        1 => Just(Op::Disconnect),
        1 => Just(Op::CheckConnection),
        2 => (idx(), prop_oneof![Just(XpmField::Email), Just(XpmField::Phone), Just(XpmField::Name), Just(XpmField::ClearEmail)])
            .prop_map(|(client, field)| Op::EditInXpm { client, field }),
        2 => (idx(), prop_oneof![Just(LookAlikeKey::Name), Just(LookAlikeKey::Email), Just(LookAlikeKey::BusinessNumber)])
            .prop_map(|(client, by)| Op::SeedLookAlike { client, by }),
        2 => (idx(), prop_oneof![Just(GoneBy::Archive), Just(GoneBy::Delete), Just(GoneBy::Merge)])
            .prop_map(|(client, by)| Op::GoneInXpm { client, by }),
        2 => (idx(), any::<bool>()).prop_map(|(which, same_terms)| Op::RelateInXpm { which, same_terms }),
        2 => idx().prop_map(|which| Op::EditTermsInXpm { which }),
        1 => idx().prop_map(|which| Op::DeleteRelationshipInXpm { which }),
        1 => idx().prop_map(|client| Op::Unlink { client }),
        14 => (idx(), any::<bool>()).prop_map(|(client, link)| Op::Sync { client, link }),
        2 => idx().prop_map(|client| Op::Preview { client }),
        3 => fault(),
        1 => Just(Op::LoseTheNextCreate),
    ]
}

/// A case's steps (after the fixed prologue of `Case::start`: three
/// clients, three associations, two mapped types, connected to an XPM that
/// already holds look-alikes of two of them with the relationship between them).
pub fn sequence(max_len: usize) -> impl Strategy<Value = Vec<Op>> {
    proptest::collection::vec(op(), 1..max_len)
}
