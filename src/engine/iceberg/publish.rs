//! Write-audit-publish: fast-forward and cherry-pick of audited snapshots onto main.
