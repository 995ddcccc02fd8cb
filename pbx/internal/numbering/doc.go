// Package numbering is the location server's number handling, as the
// H3C XE 200/2000 manual's Location Server and Feature modules describe it
// (../shared/manual/README.md):
//
//   - a Plan: the LS domain's locations (country and area codes), the
//     national and international prefixes, and the number analysis
//     entries of each originating context;
//   - number analysis (Analyse): a dialled number is read in its caller's
//     location (local, national or international form), then matched by
//     longest prefix with min/max length against the entries of that
//     location; the result is a subscriber, a hunt group, a feature code,
//     an IVR, a conference, a route to a device, or a rejection with a
//     cause;
//   - number substitution (Substitute): location-based, exactly the
//     manual's Table 1-1 (what a caller may dial, which falls out of the
//     reading of forms) and Table 1-2 (the calling number presented), and
//     rule-based: rules and named tables of rules bound to a calling
//     number, a called number, an originating or terminating device, or the
//     LS globally, applied in the manual's precedence before and after
//     number analysis.
//
// Our reading of the precedence (project default, until the manual says
// otherwise): the calling and the called numbers are substituted
// independently; for each, the highest level of the list that holds a rule
// matching that number applies (the first matching rule of that level, in
// order) and lower levels are not consulted; rule-based substitution, where
// any applies, replaces location-based substitution.
//
// The package decides nothing about SIP: pbx maps its results to call
// decisions and its errors to responses (ErrVacant 404, ErrIncomplete 484,
// ErrBarred 403).
package numbering
