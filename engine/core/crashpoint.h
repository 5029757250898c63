/* Test-only crash points: deterministic places where a process stops itself with SIGKILL, so
 * that tests of crash safety do not depend on timing (a test cannot reliably send kill -9 while
 * a process is inside a transaction, least of all under a sanitizer).
 *
 *   SIC_TEST_CRASH_AT=<point>[:N]   the N-th time (default 1) the process passes <point>, it
 *                                   writes "sic: test crash point <point>:<N> reached" to
 *                                   stderr and raises SIGKILL.
 *
 * The variable is read once, at the first crash point passed. Without it a crash point costs
 * one load and one branch, so release builds keep them: an operator who can set the variable
 * can kill the process anyway. Code names its points "<area>.<place>" (the list lives in
 * docs/store.md, "Test crash points"); an unknown name is simply never reached.
 *
 * Ownership: nothing is allocated for the caller; point names are borrowed string literals. */
#ifndef SIC_CORE_CRASHPOINT_H
#define SIC_CORE_CRASHPOINT_H

/* -1: the variable was not read yet; 0: no crash point armed; 1: one is armed. */
extern int sic_crashpoint_state;

/* Slow path of sic_crashpoint(): reads the variable once, counts passes of the armed point. */
void sic_crashpoint_pass(const char *point);

/* Mark a crash point. Never returns when this is the armed point's N-th pass. */
static inline void sic_crashpoint(const char *point) {
  if (__builtin_expect(__atomic_load_n(&sic_crashpoint_state, __ATOMIC_RELAXED) != 0, 0)) sic_crashpoint_pass(point);
}

#endif
