// Package connectors is l2c's one door to the ERP, the system of record for
// customers, orders, deliveries, invoices and payments. It holds the interface
// every ERP connector implements (ERP, made of narrow parts), the records that
// cross it, and typed errors callers use to decide between retrying and failing.
// One subpackage per ERP: sap (S/4HANA over OData v2), erpsim (a simulator that
// speaks the same OData subset) and exchange (an Excel/CSV exchange folder).
//
// Nothing outside connectors/ knows OData, workbook layouts or ERP codes;
// activities use a connector through these interfaces so ERP types never enter
// workflow payloads or history.
package connectors
