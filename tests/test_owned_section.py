"""The product owns only its marked section of a description, and its title while it is still the one it wrote."""

from __future__ import annotations

from oncall_lib.draft_pr import DraftPr, plan_draft_pr
from oncall_lib.owned_section import merge, section
from oncall_lib.services.github import DO_NOT_MERGE, PullInfo


def _draft(body: str, pull: PullInfo, reviewer: str | None = None, reviewed: tuple[str, ...] = ()) -> DraftPr:
    return DraftPr(repo="o/devops", branch="oncall/x", base_branch="master", title="Remove Bob.Smith", body=body,
                   files={}, base_blobs={}, base_sha="abc", branch_head="def", pull=pull, reviewer=reviewer,
                   reviewed=reviewed)


def _pull(body: str, title: str = "Remove Bob.Smith", reviewers: tuple[str, ...] = ()) -> PullInfo:
    return PullInfo(7, title, body, (), reviewers, "https://github.sandbox/o/devops/pull/7")


def test_the_section_changes_and_the_text_around_it_stays() -> None:
    mine = "Merging Friday, after the audit call.\r\n\r\n"
    body = mine + section("Removes Bob.Smith.", "Remove Bob.Smith") + "\n\n_Checked the SSH keys too._ — Ada"
    [edit] = plan_draft_pr(_draft("Removes Bob.Smith and his SSH key.", _pull(body)))
    new = edit.params["body"]
    assert new.startswith(mine) and new.endswith("\n\n_Checked the SSH keys too._ — Ada")
    assert "Removes Bob.Smith and his SSH key." in new and "Removes Bob.Smith.\n" not in new
    assert edit.detail == "bring its description up to date"
    # Written once, it is what the product wrote: a re-run with the same text changes nothing.
    assert plan_draft_pr(_draft("Removes Bob.Smith and his SSH key.", _pull(new))) == []


def test_an_edit_inside_the_section_or_of_the_title_is_kept() -> None:
    body = section("Removes Bob.Smith.", "Remove Bob.Smith").replace("Removes Bob.Smith.", "Removes Bob (not Eve).")
    draft = _draft("Removes Bob.Smith and his SSH key.", _pull(body, title="Remove Bob, see thread"))
    assert plan_draft_pr(draft) == []
    assert draft.notes == ["o/devops#7: the automated section of its description was edited by hand, so it is left "
                           "as edited"]
    assert merge(body, "anything").body == body


def test_the_title_the_product_wrote_is_brought_up_to_date_with_its_warning() -> None:
    body = section("Removes Bob.Smith.", "Remove Bob.Smith")
    pull = PullInfo(7, DO_NOT_MERGE + "Remove Bob.Smith", body, (), (), "u", draft=False)
    draft = _draft("Removes Bob.Smith.", pull)
    draft.title = "Remove Bob.Smith and Eve.Jones"
    [edit] = plan_draft_pr(draft)
    assert edit.params["title"] == DO_NOT_MERGE + "Remove Bob.Smith and Eve.Jones"
    assert edit.detail == "bring its title up to date"


def test_who_was_asked_is_remembered_by_github_when_the_marker_is_gone() -> None:
    # Alan reviewed (GitHub no longer lists the request) and a person's edit dropped the memory.
    draft = _draft("Removes Bob.Smith.", _pull("Over to you, Grace."), reviewer="alan-turing",
                   reviewed=("Alan-Turing",))
    [edit] = plan_draft_pr(draft)
    assert edit.kind == "github.edit_pull"
    assert edit.params["body"] == "Over to you, Grace.\n\n<!-- oncall-support:review-requested Alan-Turing -->"
    # Someone new on support is asked once, and remembered with the others.
    draft = _draft("Removes Bob.Smith.", _pull(edit.params["body"]), reviewer="grace-hopper")
    kinds = [a.kind for a in plan_draft_pr(draft)]
    assert kinds == ["github.edit_pull", "github.request_review"]
