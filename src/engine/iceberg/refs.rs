//! Branches and tags, rollback and set-current.
