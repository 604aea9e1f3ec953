"""The rotation, in the core: who is on support now and next, the schedule and its turns, the roster lookup.

Every duty that addresses "the person on support" asks here (`on_support`), so they all agree; the pure
reading of PagerDuty's schedule is `schedule`. The handoff is the duty that acts on a change of turn; it owns
none of this.
"""
