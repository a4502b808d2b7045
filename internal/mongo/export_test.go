package mongo

// ReadAuditAsOnMongoDB makes s read and expire the audit trail as it does
// on MongoDB (ranges of _ids through the index) although it runs on the
// embedded engine, where those reads cost a scan but answer the same.
func ReadAuditAsOnMongoDB(s *Store) { s.ferret = false }

// AuditReadLimit exposes auditReadLimit.
const AuditReadLimit = auditReadLimit

// AuditRecent exposes auditRecent.
const AuditRecent = auditRecent

// FillRecentAudit exposes fillRecent.
var FillRecentAudit = (*Store).fillRecent

// WriteLogins exposes writeLogins, which a tick runs.
var WriteLogins = (*Store).writeLogins
