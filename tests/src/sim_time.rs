//! The app's clock and ids in tests: the sim's frozen clock (so token
//! lifetimes and Connected Since agree with XPM's), and ids that count.

use domain::ports::Clock;
use time::OffsetDateTime;
use xpm_sim::SimHandle;

/// The sim's clock.
#[derive(Debug, Clone)]
pub struct SimClock(pub SimHandle);

impl Clock for SimClock {
    fn now(&self) -> OffsetDateTime {
        self.0.now()
    }
}

pub use domain::testing::CountingIds;
