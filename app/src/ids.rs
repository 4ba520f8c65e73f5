//! Fresh ids for production: random v4 UUIDs.

use domain::ports::IdGenerator;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, Default)]
pub struct RandomIds;

impl IdGenerator for RandomIds {
    fn next_uuid(&self) -> Uuid {
        Uuid::new_v4()
    }
}
