"""Removing IAM users from Terraform: every shape from the notes, untouched text byte-identical."""

from __future__ import annotations

from pathlib import Path

import pytest

from oncall_lib.iam.terraform import TerraformEditError, owners, remove_users

HEADER = """# Global IAM users for the platform.
# Managed by the operations team; see the README.

"""

BOB = """# Bob Smith, contractor, VFS team
resource "aws_iam_user" "bob" {
  name = "Bob.Smith"
  path = "/users/"
  tags = {
    owner = "alan-turing"
  }
}

"""

BOB2 = """resource "aws_iam_user" "bob2" {
  name = "Bob.Smithers"
}

"""

BOB_REFS = """resource "aws_iam_user_group_membership" "bob" {
  user   = aws_iam_user.bob.name
  groups = [aws_iam_group.devs.name]
}

resource "aws_iam_user_policy_attachment" "bob_readonly" {
  user       = aws_iam_user.bob.name
  policy_arn = "arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess"
}

resource "aws_iam_access_key" "bob" {
  user = aws_iam_user.bob.name
}

resource "aws_iam_user_login_profile" "bob" {
  user = "${aws_iam_user.bob.name}"
}

resource "aws_iam_user_ssh_key" "bob" {
  username   = aws_iam_user.bob.name
  encoding   = "SSH"
  public_key = "ssh-rsa AAAA bob@laptop"
}

output "bob_access_key_id" {
  value = aws_iam_access_key.bob.id
}

"""

BOB2_REFS = """resource "aws_iam_user_group_membership" "bob2" {
  user   = aws_iam_user.bob2.name
  groups = [aws_iam_group.devs.name]
}

"""

GROUP = """resource "aws_iam_group_membership" "devs" {
  name = "devs-membership"
  users = [
    aws_iam_user.bob.name,
    aws_iam_user.bob2.name, # Bob Smithers
  ]
  group = aws_iam_group.devs.name
}

resource "aws_iam_group" "devs" {
  name = "devs"
}

"""

SHARED_POLICY = """resource "aws_iam_policy" "deny_outside_hours" {
  name   = "deny-outside-hours"
  policy = <<POLICY
{
  "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*",
    "Condition": {"StringEquals": {"aws:username": ["Bob.Smith", "aws_iam_user.bob"]}}}]
}
POLICY
}
"""


def test_a_user_with_every_kind_of_reference() -> None:
    text = HEADER + BOB + BOB2 + BOB_REFS + BOB2_REFS + GROUP + SHARED_POLICY
    result = remove_users(text, ["Bob.Smith"])
    expected = HEADER + BOB2 + BOB2_REFS + GROUP.replace("    aws_iam_user.bob.name,\n", "") + SHARED_POLICY
    assert result.text == expected
    assert 'resource "aws_iam_user" "bob" (line 5)' in result.removed
    assert 'output "bob_access_key_id" (line 41)' in result.removed  # it referenced the removed access key
    assert len(result.removed) == 8


def test_a_label_that_differs_from_the_username() -> None:
    text = HEADER + BOB.replace('"bob"', '"bsmith"') + BOB2
    assert remove_users(text, ["bob.smith"]).text == HEADER + BOB2  # AWS usernames ignore case


def test_prefix_names_and_labels_do_not_match() -> None:
    text = BOB + BOB2 + BOB2_REFS
    assert remove_users(text, ["Bob.Smithers"]).text == BOB
    with pytest.raises(TerraformEditError, match="no IAM user named Bob"):
        remove_users(text, ["Bob"])


def test_a_group_membership_left_empty_goes_and_one_with_others_stays() -> None:
    only_bob = GROUP.replace("    aws_iam_user.bob2.name, # Bob Smithers\n", "")
    text = BOB + only_bob
    result = remove_users(text, ["Bob.Smith"])
    assert result.text == only_bob[only_bob.index('resource "aws_iam_group" "devs"'):]
    inline = 'resource "aws_iam_group_membership" "ops" {\n  name  = "ops"\n  users = [aws_iam_user.bob.name, aws_iam_user.bob2.name]\n  group = "ops"\n}\n'
    assert remove_users(BOB + BOB2 + inline, ["Bob.Smith"]).text == BOB2 + inline.replace(
        "aws_iam_user.bob.name, ", "")
    last = inline.replace("aws_iam_user.bob.name, aws_iam_user.bob2.name", "aws_iam_user.bob2.name, aws_iam_user.bob.name")
    assert remove_users(BOB + BOB2 + last, ["Bob.Smith"]).text == BOB2 + inline.replace("aws_iam_user.bob.name, ", "")


def test_users_named_by_literal_in_a_membership_list() -> None:
    text = BOB + 'resource "aws_iam_group_membership" "g" {\n  name  = "g"\n  users = [\n    "Ann.Lee",\n    "Bob.Smith",\n  ]\n  group = "g"\n}\n'
    assert remove_users(text, ["Bob.Smith"]).text == text[len(BOB):].replace('    "Bob.Smith",\n', "")


LOCALS = """locals {
  # Everyone with console access.
  users = {
    "Ann.Lee" = {
      groups = ["devs"]
    }
    "Bob.Smith" = {
      groups = ["devs", "admins"]
    }
    "Cy.Young" = { groups = ["devs"] }
  }
  admins = ["Bob.Smith", "Cy.Young"]
}

resource "aws_iam_user" "team" {
  for_each = local.users
  name     = each.key
}

resource "aws_iam_user_group_membership" "team" {
  for_each = local.users
  user     = aws_iam_user.team[each.key].name
  groups   = each.value.groups
}

output "bob_arn" {
  value = aws_iam_user.team["Bob.Smith"].arn
}
"""


def test_a_locals_map_driving_for_each() -> None:
    result = remove_users(LOCALS, ["Bob.Smith"])
    expected = LOCALS.replace('    "Bob.Smith" = {\n      groups = ["devs", "admins"]\n    }\n', "")
    expected = expected.replace('admins = ["Bob.Smith", "Cy.Young"]', 'admins = ["Cy.Young"]')
    expected = expected.replace('\noutput "bob_arn" {\n  value = aws_iam_user.team["Bob.Smith"].arn\n}\n', "")
    assert result.text == expected


def test_a_set_of_names_in_a_variable_default() -> None:
    text = 'variable "users" {\n  default = [\n    "Ann.Lee",\n    "Bob.Smith",\n  ]\n}\n\nresource "aws_iam_user" "u" {\n  for_each = toset(var.users)\n  name     = each.value\n}\n'
    assert remove_users(text, ["Bob.Smith"]).text == text.replace('    "Bob.Smith",\n', "")


def test_a_module_per_user() -> None:
    text = HEADER + 'module "bob_smith" {\n  source    = "./modules/iam-user"\n  user_name = "Bob.Smith"\n}\n\nmodule "ann_lee" {\n  source    = "./modules/iam-user"\n  user_name = "Ann.Lee"\n}\n\noutput "bob" {\n  value = module.bob_smith.arn\n}\n'
    assert remove_users(text, ["Bob.Smith"]).text == HEADER + 'module "ann_lee" {\n  source    = "./modules/iam-user"\n  user_name = "Ann.Lee"\n}\n'


def test_a_module_per_user_driven_by_for_each() -> None:
    text = 'locals {\n  people = {\n    "Ann.Lee"   = "devs"\n    "Bob.Smith" = "admins"\n  }\n}\n\nmodule "people" {\n  for_each  = local.people\n  source    = "./modules/iam-user"\n  user_name = each.key\n  group     = each.value\n}\n\noutput "bob" {\n  value = module.people["Bob.Smith"].arn\n}\n\noutput "ann" {\n  value = module.people["Ann.Lee"].arn\n}\n'
    result = remove_users(text, ["Bob.Smith"])
    assert result.text == text.replace('    "Bob.Smith" = "admins"\n', "").replace(
        '\noutput "bob" {\n  value = module.people["Bob.Smith"].arn\n}\n', "")


LOCALS_NAMING_USERS = """locals {
  team = "ops"
  # The account the deploy pipeline runs as
  deployer_arn = aws_iam_user.bob.arn
  readers      = toset([local.deployer_arn, aws_iam_user.bob2.arn])
  everyone = [
    aws_iam_user.bob.name,
    aws_iam_user.bob2.name,
  ]
}

resource "aws_s3_bucket_policy" "artifacts" {
  bucket = "artifacts"
  policy = local.deployer_arn
}

"""


def test_locals_lose_the_items_and_values_that_name_a_removed_user() -> None:
    # A local left naming a destroyed resource would fail `terraform plan`: lists lose the item, a value
    # that is only the user goes with everything built on it.
    result = remove_users(BOB + BOB2 + LOCALS_NAMING_USERS, ["Bob.Smith"])
    assert result.text == BOB2 + """locals {
  team = "ops"
  readers      = toset([aws_iam_user.bob2.arn])
  everyone = [
    aws_iam_user.bob2.name,
  ]
}

"""
    assert "local.deployer_arn (line 17)" in result.removed
    assert 'resource "aws_s3_bucket_policy" "artifacts" (line 25)' in result.removed
    assert result.warnings == []


def test_a_reference_the_editor_cannot_cut_is_reported() -> None:
    provider = 'provider "aws" {\n  alias = "deploy"\n  assume_role {\n    role_arn = local.deployer_arn\n  }\n}\n'
    result = remove_users(BOB + BOB2 + LOCALS_NAMING_USERS + provider, ["Bob.Smith"])
    assert provider in result.text
    assert result.warnings == ['provider "aws" (line 33) still refers to local.deployer_arn: edit it by hand']


def test_a_for_each_written_in_place() -> None:
    text = ('resource "aws_iam_user" "people" {\n  for_each = toset([\n    "Ann.Lee",\n    "Bob.Smith",\n  ])\n'
            '  name     = each.key\n}\n\nresource "aws_iam_user" "contractors" {\n  for_each = {\n'
            '    "Cy.Young"  = "vfs"\n    "Di.Prince" = "vfs"\n  }\n  name = each.key\n}\n\n'
            'output "bob" {\n  value = aws_iam_user.people["Bob.Smith"].arn\n}\n')
    result = remove_users(text, ["Bob.Smith", "Cy.Young"])
    assert result.text == text.replace('    "Bob.Smith",\n', "").replace('    "Cy.Young"  = "vfs"\n', "").replace(
        '\noutput "bob" {\n  value = aws_iam_user.people["Bob.Smith"].arn\n}\n', "")
    assert 'the for_each of aws_iam_user.people["Bob.Smith"]' in result.removed


def test_a_policy_attachment_that_serves_roles_too_is_kept() -> None:
    # Removing the whole exclusive attachment would detach the policy from the role as well.
    attachment = ('resource "aws_iam_policy_attachment" "readonly" {\n  name       = "readonly"\n'
                  '  users      = [aws_iam_user.bob.name]\n  roles      = ["ci-runner"]\n'
                  '  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"\n}\n')
    result = remove_users(BOB + attachment, ["Bob.Smith"])
    assert result.text == attachment.replace("[aws_iam_user.bob.name]", "[]")
    assert result.warnings == []


def test_a_policy_whose_only_principal_is_the_user_is_refused() -> None:
    """AWS rejects `identifiers = []`, and dropping the statement or the document would change who may do what."""
    document = ('data "aws_iam_policy_document" "assume" {\n  statement {\n    actions = ["sts:AssumeRole"]\n'
                '    principals {\n      type        = "AWS"\n      identifiers = [aws_iam_user.bob.arn]\n'
                '    }\n  }\n}\n')
    with pytest.raises(TerraformEditError) as refused:
        remove_users(BOB + document, ["Bob.Smith"])
    assert str(refused.value) == (
        'iam_users.tf:15: data "aws_iam_policy_document" "assume": aws_iam_user.bob is the only principal in '
        "statement.principals.identifiers; AWS rejects a policy with no principal (identifiers = []), and removing "
        "the statement or the policy would change who may do what: edit it by hand (nothing changed)")
    with pytest.raises(TerraformEditError, match=r"iam_users.tf:43: .* is the only principal"):
        remove_users(BOB + BOB_REFS + document, ["Bob.Smith"])  # found on the cascade's second pass too
    shared = document.replace("[aws_iam_user.bob.arn]", "[aws_iam_user.bob.arn, aws_iam_user.ann.arn]")
    assert remove_users(BOB + ANN + shared, ["Bob.Smith"]).text == ANN + document.replace(
        "[aws_iam_user.bob.arn]", "[aws_iam_user.ann.arn]")


def test_a_count_indexed_list_is_refused() -> None:
    text = 'locals {\n  names = ["Ann.Lee", "Bob.Smith", "Cy.Young"]\n}\n\nresource "aws_iam_user" "u" {\n  count = length(local.names)\n  name  = local.names[count.index]\n}\n'
    with pytest.raises(TerraformEditError, match=r"count over local.names; removing Bob.Smith would shift every later"):
        remove_users(text, ["Bob.Smith"])


def test_heredoc_policies_are_left_intact() -> None:
    text = BOB + SHARED_POLICY
    assert remove_users(text, ["Bob.Smith"]).text == SHARED_POLICY


ANN = 'resource "aws_iam_user" "ann" {\n  name = "Ann.Lee"\n}\n\n'


def test_a_heredoc_policy_only_for_the_user_goes_with_them_and_its_attachment() -> None:
    """The policy exists only to serve Bob (its heredoc interpolates his ARN): it goes, and so does the attachment
    that would otherwise point at a policy that no longer exists (terraform validate would fail)."""
    text = (BOB + ANN + 'resource "aws_iam_policy" "bob_self" {\n  name = "bob-self-manage"\n  policy = <<EOT\n'
            '{"Statement": [{"Effect": "Allow", "Action": "iam:*AccessKey*",\n  "Resource": '
            '"${aws_iam_user.bob.arn}"}]}\nEOT\n}\n\n'
            'resource "aws_iam_user_policy_attachment" "bob_self" {\n  user       = aws_iam_user.bob.name\n'
            '  policy_arn = aws_iam_policy.bob_self.arn\n}\n')
    result = remove_users(text, ["Bob.Smith"])
    assert result.text == ANN.rstrip("\n") + "\n"
    assert 'resource "aws_iam_policy" "bob_self" (line 14)' in result.removed
    assert result.warnings == []


def test_a_heredoc_policy_shared_with_others_loses_only_the_users_line() -> None:
    policy = ('resource "aws_iam_policy" "self_manage" {\n  policy = <<EOT\n{\n  "Resource": [\n'
              '    "${aws_iam_user.ann.arn}",\n    "${aws_iam_user.bob.arn}"\n  ]\n}\nEOT\n}\n')
    result = remove_users(BOB + ANN + policy, ["Bob.Smith"])
    assert result.text == ANN + policy.replace('    "${aws_iam_user.ann.arn}",\n    "${aws_iam_user.bob.arn}"\n',
                                               '    "${aws_iam_user.ann.arn}"\n')
    inline = ('resource "aws_iam_policy" "both" {\n  policy = <<EOT\n{"Resource": ["${aws_iam_user.ann.arn}", '
              '"${aws_iam_user.bob.arn}"]}\nEOT\n}\n')
    with pytest.raises(TerraformEditError, match=r"iam_users.tf:16: resource \"aws_iam_policy\" \"both\" is a policy "
                                                 r"that also serves users who stay"):
        remove_users(BOB + ANN + inline, ["Bob.Smith"])


def test_literal_usernames_in_a_modules_list_go_and_unclear_lists_are_reported() -> None:
    text = (BOB + 'module "admins" {\n  source      = "./modules/group"\n  group_users = ["Aidan", "Bob.Smith", '
            '"Santiago"]\n  tags_list   = ["Bob.Smith"]\n}\n')
    result = remove_users(text, ["Bob.Smith"])
    assert 'group_users = ["Aidan", "Santiago"]' in result.text
    assert 'tags_list   = ["Bob.Smith"]' in result.text  # not a list of users as far as anyone can tell...
    assert result.warnings == ['module "admins" (line 10) lists Bob.Smith in `tags_list`, which may not mean users: '
                               "check by hand"]  # ...so it is reported, not guessed


def test_a_banner_naming_the_user_goes_even_past_a_blank_line() -> None:
    banner = "####################\n#### Bob.Smith ####\n####################\n\n"
    other = "#### Shared settings ####\n\n"
    text = other + ANN + banner + BOB.replace("# Bob Smith, contractor, VFS team\n", "")
    result = remove_users(text, ["Bob.Smith"])
    assert result.text == other + ANN
    kept = remove_users(banner.replace("Bob.Smith", "Section") + BOB + ANN, ["Bob.Smith"])
    assert kept.text.startswith("####################\n#### Section ####")  # a banner about something else stays


def test_crlf_files_stay_crlf() -> None:
    text = (HEADER + BOB + BOB2 + GROUP).replace("\n", "\r\n")
    result = remove_users(text, ["Bob.Smith"])
    assert result.text == (HEADER + BOB2 + GROUP.replace("    aws_iam_user.bob.name,\n", "")).replace("\n", "\r\n")


def test_several_users_at_once() -> None:
    text = HEADER + BOB + BOB2 + BOB_REFS + BOB2_REFS + GROUP
    result = remove_users(text, ["Bob.Smith", "Bob.Smithers"])
    assert result.text == HEADER + GROUP.split("\n\n")[1] + "\n\n"


def test_missing_users_are_named_and_nothing_changes() -> None:
    with pytest.raises(TerraformEditError, match="no IAM user named Zed.Zulu, Q.Q"):
        remove_users(HEADER + BOB, ["Bob.Smith", "Zed.Zulu", "Q.Q"])


def test_a_file_that_is_not_hcl() -> None:
    with pytest.raises(TerraformEditError, match=r"iam_users.tf:\d+: not valid HCL"):
        remove_users('resource "aws_iam_user" "bob" {\n  name = \n', ["Bob.Smith"])


def test_owners_from_tags() -> None:
    assert owners(BOB + BOB2) == {"Bob.Smith": "alan-turing"}


def test_the_local_editor_loads_only_the_editor(tmp_path: Path) -> None:
    """`iam_cleanup.py edit` is a text tool: it must not pay for the SDKs, the sandbox or the configuration."""
    import subprocess
    import sys

    target = tmp_path / "iam_users.tf"
    target.write_text(BOB)
    done = subprocess.run([sys.executable, "-X", "importtime", "scripts/iam_cleanup.py", "edit", "--file",
                           str(target), "--user", "Bob.Smith"], cwd=Path(__file__).resolve().parent.parent,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    assert "tree_sitter_hcl" in loaded
    assert not loaded & {"boto3", "github", "slack_sdk", "gspread", "pydantic", "oncall_lib.sandbox", "hcl2"}
    assert target.read_text() == ""


# Shapes teams write without one aws_iam_user per person. Each file is written for its test.

MODULE_USER_MAP = """module "iam_users" {
  source = "../modules/iam-users"

  # AWS username => groups
  user_map = {
    "ann.lee"   = ["developers"]
    # contractor until March
    "bob.smith" = ["developers", "admins"]
    "cy.young": ["readonly"], "di.prince": ["readonly"]
  }
}
"""


def test_a_module_input_map_keyed_by_user_with_no_aws_iam_user_in_the_file() -> None:
    result = remove_users(MODULE_USER_MAP, ["Bob.Smith"])
    assert result.text == """module "iam_users" {
  source = "../modules/iam-users"

  # AWS username => groups
  user_map = {
    "ann.lee"   = ["developers"]
    "cy.young": ["readonly"], "di.prince": ["readonly"]
  }
}
"""
    assert result.removed == ['module.iam_users.user_map["bob.smith"]'] and result.warnings == []
    # Entries sharing a line, with colons and commas: only the entry and its comma go.
    assert remove_users(MODULE_USER_MAP, ["cy.young"]).text == MODULE_USER_MAP.replace('"cy.young": ["readonly"], ',
                                                                                     "")
    assert remove_users(MODULE_USER_MAP, ["di.prince"]).text == MODULE_USER_MAP.replace(', "di.prince": ["readonly"]',
                                                                                      "")


def test_the_same_map_in_a_variable_default_and_in_tfvars() -> None:
    variable = """variable "user_map" {
  description = "AWS username => groups"
  type        = map(list(string))
  default = {
    "ann.lee"   = ["developers"]
    "bob.smith" = ["developers", "admins"]
  }
}
"""
    assert remove_users(variable, ["bob.smith"]).text == """variable "user_map" {
  description = "AWS username => groups"
  type        = map(list(string))
  default = {
    "ann.lee"   = ["developers"]
  }
}
"""
    tfvars = 'region = "us-gov-west-1"\n\nuser_map = {\n  ann_lee     = ["developers"]\n  "bob.smith" = ["admins"]\n}\n'
    assert remove_users(tfvars, ["bob.smith"], path="terraform.tfvars").text == (
        'region = "us-gov-west-1"\n\nuser_map = {\n  ann_lee     = ["developers"]\n}\n')


LOCALS_OBJECTS = """locals {
  users = [
    {
      username = "ann.lee"
      groups   = ["developers"]
    },
    {
      username = "bob.smith"
      groups   = ["developers", "admins"]
      pgp_key  = "keybase:bobsmith"
    },
    { username = "cy.young", groups = ["readonly"] },
  ]
}

resource "aws_iam_user" "this" {
  for_each = { for u in local.users : u.username => u }
  name     = each.key
}

resource "aws_iam_user_group_membership" "this" {
  for_each = { for u in local.users : u.username => u }
  user     = aws_iam_user.this[each.key].name
  groups   = each.value.groups
}

output "bob_smith_arn" {
  value = aws_iam_user.this["bob.smith"].arn
}
"""


def test_a_locals_list_of_objects_driving_for_each() -> None:
    result = remove_users(LOCALS_OBJECTS, ["bob.smith"])
    assert result.text == """locals {
  users = [
    {
      username = "ann.lee"
      groups   = ["developers"]
    },
    { username = "cy.young", groups = ["readonly"] },
  ]
}

resource "aws_iam_user" "this" {
  for_each = { for u in local.users : u.username => u }
  name     = each.key
}

resource "aws_iam_user_group_membership" "this" {
  for_each = { for u in local.users : u.username => u }
  user     = aws_iam_user.this[each.key].name
  groups   = each.value.groups
}
"""
    assert result.removed == ['local.users["bob.smith"]', 'output "bob_smith_arn" (line 27)']
    one_line = remove_users(LOCALS_OBJECTS, ["cy.young"]).text
    assert one_line == LOCALS_OBJECTS.replace('    { username = "cy.young", groups = ["readonly"] },\n', "")


TERRAGRUNT = """include "root" {
  path = find_in_parent_folders()
}

terraform {
  source = "git::https://example.com/modules.git//iam-users?ref=v1.4.0"
}

inputs = {
  group = "developers"
  users = [
    { user = "ann.lee", pgp_key = "keybase:ann" },
    { user = "bob.smith", pgp_key = "keybase:bob" }, # contractor
    {
      user    = "cy.young"
      pgp_key = "keybase:cy"
    }
  ]
}
"""


def test_terragrunt_inputs_listing_users() -> None:
    result = remove_users(TERRAGRUNT, ["bob.smith"], path="terragrunt.hcl")
    assert result.text == """include "root" {
  path = find_in_parent_folders()
}

terraform {
  source = "git::https://example.com/modules.git//iam-users?ref=v1.4.0"
}

inputs = {
  group = "developers"
  users = [
    { user = "ann.lee", pgp_key = "keybase:ann" },
    {
      user    = "cy.young"
      pgp_key = "keybase:cy"
    }
  ]
}
"""
    assert result.removed == ['inputs.users["bob.smith"]']
    last = remove_users(TERRAGRUNT, ["cy.young"], path="terragrunt.hcl").text  # the last item, with no comma
    assert last == TERRAGRUNT.replace('    {\n      user    = "cy.young"\n      pgp_key = "keybase:cy"\n    }\n', "")


NAMES_FROM_A_LIST = """locals {
  service_accounts = [for name in ["audit", "media", "search"] : "app-${name}"]
}

resource "aws_iam_user" "service" {
  for_each = toset(local.service_accounts)
  name     = each.value
}

resource "aws_iam_user" "ci" {
  for_each = toset([
    "audit",
    "media",
  ])
  name = "app-${each.key}-ci"
}

output "media_ci_arn" {
  value = aws_iam_user.ci["media"].arn
}
"""


def test_one_item_of_a_list_that_builds_names() -> None:
    result = remove_users(NAMES_FROM_A_LIST, ["app-media"])
    assert result.text == NAMES_FROM_A_LIST.replace('["audit", "media", "search"]', '["audit", "search"]')
    assert result.removed == ['local.service_accounts["media"]']
    built_by_the_resource = remove_users(NAMES_FROM_A_LIST, ["app-media-ci"])
    assert built_by_the_resource.text == """locals {
  service_accounts = [for name in ["audit", "media", "search"] : "app-${name}"]
}

resource "aws_iam_user" "service" {
  for_each = toset(local.service_accounts)
  name     = each.value
}

resource "aws_iam_user" "ci" {
  for_each = toset([
    "audit",
  ])
  name = "app-${each.key}-ci"
}
"""
    with pytest.raises(TerraformEditError, match="no IAM user named app-medi "):
        remove_users(NAMES_FROM_A_LIST, ["app-medi"])  # a name no item builds


IMPORTS = """# Imported from the console in 2021:
#   terraform import aws_iam_user.ann ann.lee
#   terraform import aws_iam_user.bob bob.smith
#   terraform import aws_iam_user_login_profile.bob bob.smith
#   terraform import 'aws_iam_user.team["cy.young"]' cy.young

resource "aws_iam_user" "ann" {
  name = "ann.lee"
}

# terraform import aws_iam_user.bob bob.smith
resource "aws_iam_user" "bob" {
  name = "bob.smith"
}

resource "aws_iam_user_login_profile" "bob" {
  # terraform import aws_iam_user_login_profile.bob bob.smith
  user = aws_iam_user.bob.name
}

resource "aws_iam_user" "team" {
  for_each = toset(["cy.young", "di.prince"])
  name     = each.key
}

import {
  to = aws_iam_user.team["cy.young"]
  id = "cy.young"
}
"""


def test_import_comments_and_blocks_naming_a_removed_resource_go() -> None:
    result = remove_users(IMPORTS, ["bob.smith", "cy.young"])
    assert result.text == """# Imported from the console in 2021:
#   terraform import aws_iam_user.ann ann.lee

resource "aws_iam_user" "ann" {
  name = "ann.lee"
}

resource "aws_iam_user" "team" {
  for_each = toset(["di.prince"])
  name     = each.key
}
"""
    assert "the import comment for aws_iam_user_login_profile.bob" in result.removed


ROLES = """resource "aws_iam_user" "partner" {
  name = "partner.example"
}

resource "aws_iam_user" "auditor" {
  name = "auditor.example"
}

module "cross_account_roles" {
  source = "./modules/roles"

  roles = {
    "Partner" = {
      principals = [aws_iam_user.partner.arn]
      policies   = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    },
    "Auditor" = {
      principals = [aws_iam_user.partner.arn, aws_iam_user.auditor.arn]
      policies   = ["arn:aws:iam::aws:policy/SecurityAudit"]
    },
  }

  buckets = {
    "logs" = { readers = [aws_iam_user.partner.arn], retention_days = 90 }
  }
}
"""


def test_a_map_entry_that_served_only_the_user_goes_whole() -> None:
    result = remove_users(ROLES, ["partner.example"])
    assert result.text == """resource "aws_iam_user" "auditor" {
  name = "auditor.example"
}

module "cross_account_roles" {
  source = "./modules/roles"

  roles = {
    "Auditor" = {
      principals = [aws_iam_user.auditor.arn]
      policies   = ["arn:aws:iam::aws:policy/SecurityAudit"]
    },
  }

  buckets = {
    "logs" = { readers = [], retention_days = 90 }
  }
}
"""
    assert result.warnings == [
        'module "cross_account_roles" (line 9): roles["Partner"] served only aws_iam_user.partner (its `principals` '
        "list) and was removed whole: check that nothing else needed it",
        # A bucket's readers are not whom the bucket is for: it stays, and the warning names the list itself.
        'module "cross_account_roles" (line 9) is left with an empty `buckets["logs"].readers` list: check by hand']
    # Named by someone else too, the entry stays and loses the user.
    shared = ROLES.replace("principals = [aws_iam_user.partner.arn]\n",
                           "principals = [aws_iam_user.partner.arn]\n      users      = [\"ops.bot\"]\n")
    with pytest.raises(TerraformEditError, match=r"iam_users.tf:14: .* aws_iam_user.partner is the only principal in "
                                                 r'roles\["Partner"\].principals'):
        remove_users(shared, ["partner.example"])


TRUST_HEREDOC = """resource "aws_iam_user" "bob" {
  name = "bob.smith"
}

resource "aws_iam_role" "deployer" {
  name               = "deployer"
  assume_role_policy = <<EOF
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "sts:AssumeRole",
      "Principal": {"AWS": "${aws_iam_user.bob.arn}"}
    }
  ]
}
EOF
}
"""

TRUST_JSONENCODE = """resource "aws_iam_user" "bob" {
  name = "bob.smith"
}

resource "aws_iam_role" "deployer" {
  name = "deployer"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { AWS = [aws_iam_user.bob.arn] }
    }]
  })
}
"""


@pytest.mark.parametrize(("text", "line"), [(TRUST_HEREDOC, 14), (TRUST_JSONENCODE, 12)])
def test_a_trust_policy_whose_only_principal_is_the_user_is_refused(text: str, line: int) -> None:
    """Removing the role would take away a role others may use; leaving no principal is refused by AWS."""
    with pytest.raises(TerraformEditError) as refused:
        remove_users(text, ["bob.smith"])
    message = str(refused.value)
    assert message.startswith(f'iam_users.tf:{line}: resource "aws_iam_role" "deployer": aws_iam_user.bob is the only '
                              "principal")
    assert "AWS rejects a policy with no principal" in message and message.endswith("(nothing changed)")


def test_a_trust_policy_shared_with_others_loses_the_users_line_unless_a_list_is_left_empty() -> None:
    ann = 'resource "aws_iam_user" "ann" {\n  name = "ann.lee"\n}\n\n'
    statement = ('    {\n      "Action": "sts:AssumeRole",\n      "Principal": {\n        "AWS": [\n'
                 '          "${aws_iam_user.ann.arn}",\n          "${aws_iam_user.bob.arn}"\n        ]\n      }\n    }')
    policy = ('resource "aws_iam_role" "deployer" {\n  assume_role_policy = <<EOF\n{\n  "Statement": [\n'
              + statement + "\n  ]\n}\nEOF\n}\n")
    result = remove_users(TRUST_HEREDOC.split("\n\n")[0] + "\n\n" + ann + policy, ["bob.smith"])
    assert result.text == ann + policy.replace('"${aws_iam_user.ann.arn}",\n          "${aws_iam_user.bob.arn}"\n',
                                               '"${aws_iam_user.ann.arn}"\n')
    alone = statement.replace('          "${aws_iam_user.ann.arn}",\n', "").replace("AssumeRole", "TagSession")
    two = policy.replace(statement, statement + ",\n" + alone)
    with pytest.raises(TerraformEditError, match=r"iam_users.tf:26: .* aws_iam_user.bob is the only principal of its "
                                                 r"list in the policy"):
        remove_users(TRUST_HEREDOC.split("\n\n")[0] + "\n\n" + ann + two, ["bob.smith"])


def test_a_user_named_by_arn_text_is_reported() -> None:
    document = ('data "aws_iam_policy_document" "assume" {\n  statement {\n    principals {\n      type        = "AWS"\n'
                '      identifiers = ["arn:aws-us-gov:iam::123456789012:user/contractors/Bob.Smith", '
                '"arn:aws:iam::123456789012:user/ann.lee"]\n    }\n  }\n}\n')
    result = remove_users(TRUST_HEREDOC.split("\n\n")[0] + "\n\n" + document, ["bob.smith"])
    assert result.text == document
    assert result.warnings == ['data "aws_iam_policy_document" "assume" (line 9) names the removed user by ARN, '
                               '"arn:aws-us-gov:iam::123456789012:user/contractors/Bob.Smith": edit it by hand']


# Users looked up with `data "aws_iam_user"` (managed elsewhere, referred to here): the lookup is the user.

LOOKUPS = """# People are created in the identity account; this stack only looks them up.
data "aws_iam_user" "deploy_bot" {
  user_name = "deploy-bot"
}

data "aws_iam_user" "jane_doe" {
  user_name = "jane.doe"
}

data "aws_iam_user" "raj_patel" {
  user_name = "raj.patel"
}

data "aws_iam_policy_document" "artifacts_read" {
  statement {
    sid     = "ReadArtifacts"
    actions = ["s3:GetObject", "s3:ListBucket"]
    resources = [
      aws_s3_bucket.artifacts.arn,
      "${aws_s3_bucket.artifacts.arn}/*",
    ]

    principals {
      type = "AWS"
      identifiers = [
        data.aws_iam_user.deploy_bot.arn,
        data.aws_iam_user.jane_doe.arn,
        data.aws_iam_user.raj_patel.arn,
      ]
    }
  }
}

resource "aws_s3_bucket_policy" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  policy = data.aws_iam_policy_document.artifacts_read.json
}

resource "aws_iam_user_policy_attachment" "jane_readonly" {
  user       = data.aws_iam_user.jane_doe.user_name
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}

resource "aws_iam_group_membership" "deployers" {
  name  = "deployers"
  group = aws_iam_group.deployers.name
  users = [data.aws_iam_user.deploy_bot.user_name, data.aws_iam_user.jane_doe.user_name]
}
"""


def test_a_user_known_only_through_a_lookup() -> None:
    result = remove_users(LOOKUPS, ["Jane.Doe"])
    assert result.text == """# People are created in the identity account; this stack only looks them up.
data "aws_iam_user" "deploy_bot" {
  user_name = "deploy-bot"
}

data "aws_iam_user" "raj_patel" {
  user_name = "raj.patel"
}

data "aws_iam_policy_document" "artifacts_read" {
  statement {
    sid     = "ReadArtifacts"
    actions = ["s3:GetObject", "s3:ListBucket"]
    resources = [
      aws_s3_bucket.artifacts.arn,
      "${aws_s3_bucket.artifacts.arn}/*",
    ]

    principals {
      type = "AWS"
      identifiers = [
        data.aws_iam_user.deploy_bot.arn,
        data.aws_iam_user.raj_patel.arn,
      ]
    }
  }
}

resource "aws_s3_bucket_policy" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  policy = data.aws_iam_policy_document.artifacts_read.json
}

resource "aws_iam_group_membership" "deployers" {
  name  = "deployers"
  group = aws_iam_group.deployers.name
  users = [data.aws_iam_user.deploy_bot.user_name]
}
"""
    assert result.removed[0] == 'data "aws_iam_user" "jane_doe" (line 6)'
    assert 'resource "aws_iam_user_policy_attachment" "jane_readonly" (line 39)' in result.removed
    assert result.warnings == []


def test_a_lookup_that_is_the_only_principal_of_a_policy_that_stays_is_refused() -> None:
    """The bucket policy stays (the bucket is not the user's): with no principal left AWS would reject it."""
    alone = LOOKUPS.replace("        data.aws_iam_user.deploy_bot.arn,\n", "").replace(
        "        data.aws_iam_user.raj_patel.arn,\n", "")
    with pytest.raises(TerraformEditError, match=r'iam_users.tf:25: data "aws_iam_policy_document" "artifacts_read": '
                                                 r"data.aws_iam_user.jane_doe is the only principal in "
                                                 r"statement.principals.identifiers"):
        remove_users(alone, ["jane.doe"])


def test_a_lookup_for_each_over_a_list_loses_the_name_and_what_was_built_on_that_instance() -> None:
    text = """# Looked up so the deploy role can trust them.
data "aws_iam_user" "deployers" {
  for_each  = toset(["jane.doe", "raj.patel"])
  user_name = each.value
}

output "jane_arn" {
  value = data.aws_iam_user.deployers["jane.doe"].arn
}
"""
    assert remove_users(text, ["jane.doe"]).text == """# Looked up so the deploy role can trust them.
data "aws_iam_user" "deployers" {
  for_each  = toset(["raj.patel"])
  user_name = each.value
}
"""


def test_a_block_that_only_takes_the_user_as_an_input_is_never_removed_with_them() -> None:
    """A module or a bucket that outlives the user: removing it would destroy what it manages."""
    module = ('\nmodule "reports_bucket" {\n  source      = "./modules/bucket"\n  bucket_name = "reports"\n'
              "  uploader    = data.aws_iam_user.raj_patel\n}\n")
    with pytest.raises(TerraformEditError) as refused:
        remove_users(LOOKUPS + module, ["raj.patel"])
    assert str(refused.value) == (
        'iam_users.tf:50: module "reports_bucket" uses data.aws_iam_user.raj_patel (`uploader`); it is not a block '
        "that exists for the user, and removing it would destroy what it manages: edit it by hand (nothing changed)")
    bucket = ('\nresource "aws_s3_bucket" "raj_scratch" {\n  bucket = "scratch-${data.aws_iam_user.raj_patel.user_id}"'
              "\n}\n")
    with pytest.raises(TerraformEditError, match=r'iam_users.tf:50: resource "aws_s3_bucket" "raj_scratch" uses '):
        remove_users(LOOKUPS + bucket, ["raj.patel"])
    # Another user that copies the looked-up user's path is not the looked-up user's to remove.
    copy = '\nresource "aws_iam_user" "ops" {\n  name = "ops.bot"\n  path = data.aws_iam_user.raj_patel.path\n}\n'
    with pytest.raises(TerraformEditError, match=r'iam_users.tf:50: resource "aws_iam_user" "ops" uses '
                                                 r"data.aws_iam_user.raj_patel \(`path`\)"):
        remove_users(LOOKUPS + copy, ["raj.patel"])
    # A module given the user as its `user` exists for that user: it goes.
    per_user = '\nmodule "raj_mfa" {\n  source = "./modules/force-mfa"\n  user   = data.aws_iam_user.raj_patel.user_name\n}\n'
    assert 'module "raj_mfa"' not in remove_users(LOOKUPS + per_user, ["raj.patel"]).text


# A comment heading a section stays while the section has members; one about the removed user goes with them.

SECTIONS = """########################################
# Contractors (access reviewed quarterly)
########################################
resource "aws_iam_user" "bob_smith" {
  name = "bob.smith"
}

resource "aws_iam_user" "cy_young" {
  name = "cy.young"
}

# Engineers
resource "aws_iam_user" "ann_lee" {
  name = "ann.lee"
}

# Raj Patel, QA, leaves in June
resource "aws_iam_user" "raj" {
  name = "raj.patel"
}

resource "aws_iam_user" "di_prince" {
  name = "di.prince"
}

# Group memberships
resource "aws_iam_user_group_membership" "bob_smith" {
  user   = aws_iam_user.bob_smith.name
  groups = ["contractors"]
}

resource "aws_iam_user_group_membership" "cy_young" {
  user   = aws_iam_user.cy_young.name
  groups = ["contractors"]
}
"""


def test_a_section_heading_stays_while_its_section_has_members() -> None:
    result = remove_users(SECTIONS, ["bob.smith"])
    assert result.text == """########################################
# Contractors (access reviewed quarterly)
########################################
resource "aws_iam_user" "cy_young" {
  name = "cy.young"
}

# Engineers
resource "aws_iam_user" "ann_lee" {
  name = "ann.lee"
}

# Raj Patel, QA, leaves in June
resource "aws_iam_user" "raj" {
  name = "raj.patel"
}

resource "aws_iam_user" "di_prince" {
  name = "di.prince"
}

# Group memberships
resource "aws_iam_user_group_membership" "cy_young" {
  user   = aws_iam_user.cy_young.name
  groups = ["contractors"]
}
"""
    assert result.removed == ['resource "aws_iam_user" "bob_smith" (line 4)',
                              'resource "aws_iam_user_group_membership" "bob_smith" (line 27)']


def test_a_heading_goes_with_the_last_member_of_its_section() -> None:
    result = remove_users(SECTIONS, ["bob.smith", "cy.young"])
    assert result.text == """# Engineers
resource "aws_iam_user" "ann_lee" {
  name = "ann.lee"
}

# Raj Patel, QA, leaves in June
resource "aws_iam_user" "raj" {
  name = "raj.patel"
}

resource "aws_iam_user" "di_prince" {
  name = "di.prince"
}
"""


def test_a_comment_about_the_removed_user_goes_with_them() -> None:
    """"# Raj Patel, ..." names him: it describes his block, although the next user has no comment."""
    result = remove_users(SECTIONS, ["raj.patel"])
    assert result.text == SECTIONS.replace('# Raj Patel, QA, leaves in June\nresource "aws_iam_user" "raj" {\n'
                                           '  name = "raj.patel"\n}\n\n', "")
    # "# Engineers" is followed by a user with a comment of its own: it was Ann's alone.
    assert remove_users(SECTIONS, ["ann.lee"]).text == SECTIONS.replace(
        '# Engineers\nresource "aws_iam_user" "ann_lee" {\n  name = "ann.lee"\n}\n\n', "")


# Policies, documents and attachments that served only the removed user go; shared ones stay.

PER_USER_POLICIES = """resource "aws_iam_user" "ci_deployer" {
  name = "ci-deployer"
}

data "aws_iam_policy_document" "ci_deployer" {
  statement {
    sid       = "PushImages"
    actions   = ["ecr:PutImage", "ecr:UploadLayerPart"]
    resources = [aws_ecr_repository.app.arn]
  }

  statement {
    sid       = "RotateOwnKeys"
    actions   = ["iam:CreateAccessKey", "iam:DeleteAccessKey"]
    resources = [aws_iam_user.ci_deployer.arn]
  }
}

resource "aws_iam_policy" "ci_deployer" {
  name   = "ci-deployer"
  policy = data.aws_iam_policy_document.ci_deployer.json
}

resource "aws_iam_user_policy_attachment" "ci_deployer" {
  user       = aws_iam_user.ci_deployer.name
  policy_arn = aws_iam_policy.ci_deployer.arn
}

resource "aws_iam_user" "release_bot" {
  name = "release-bot"
}

data "aws_iam_policy_document" "release_bot" {
  statement {
    actions   = ["s3:PutObject"]
    resources = ["arn:aws:s3:::releases/*"]
  }
}

resource "aws_iam_user_policy" "release_bot" {
  name   = "release-bot"
  user   = aws_iam_user.release_bot.name
  policy = data.aws_iam_policy_document.release_bot.json
}

resource "aws_iam_user" "docs_bot" {
  name = "docs-bot"
}

data "aws_iam_policy_document" "read_site" {
  statement {
    actions   = ["s3:GetObject"]
    resources = ["arn:aws:s3:::site/*"]
  }
}

resource "aws_iam_user_policy" "docs_bot" {
  user   = aws_iam_user.docs_bot.name
  policy = data.aws_iam_policy_document.read_site.json
}

resource "aws_iam_group_policy" "readers" {
  group  = "readers"
  policy = data.aws_iam_policy_document.read_site.json
}
"""


def test_a_policy_chain_that_served_only_the_user_goes() -> None:
    """The document names the user only in one statement (cutting it would leave `resources = []`), the policy is
    built from the document, and only the user's attachment uses the policy: all three go with the user."""
    result = remove_users(PER_USER_POLICIES, ["ci-deployer"])
    assert result.text == PER_USER_POLICIES[PER_USER_POLICIES.index('resource "aws_iam_user" "release_bot"'):]
    assert result.removed == ['resource "aws_iam_user" "ci_deployer" (line 1)',
                              'data "aws_iam_policy_document" "ci_deployer" (line 5)',
                              'resource "aws_iam_policy" "ci_deployer" (line 19)',
                              'resource "aws_iam_user_policy_attachment" "ci_deployer" (line 24)']
    assert result.warnings == [
        'resource "aws_iam_policy" "ci_deployer" (line 19) served only what is removed and went with it: check '
        "that no other file uses it",
        'data "aws_iam_policy_document" "ci_deployer" (line 5) served only what is removed and went with it: check '
        "that no other file uses it"]


def test_a_document_that_never_names_the_user_goes_when_only_their_policy_used_it() -> None:
    result = remove_users(PER_USER_POLICIES, ["release-bot"])
    start = PER_USER_POLICIES.index('resource "aws_iam_user" "release_bot"')
    end = PER_USER_POLICIES.index('resource "aws_iam_user" "docs_bot"')
    assert result.text == PER_USER_POLICIES[:start] + PER_USER_POLICIES[end:]


def test_a_document_something_else_uses_stays() -> None:
    """read_site also serves the readers group: only the user's own policy goes."""
    result = remove_users(PER_USER_POLICIES, ["docs-bot"])
    assert result.text == PER_USER_POLICIES.replace('resource "aws_iam_user" "docs_bot" {\n  name = "docs-bot"\n}\n\n',
                                                    "").replace(
        'resource "aws_iam_user_policy" "docs_bot" {\n  user   = aws_iam_user.docs_bot.name\n'
        '  policy = data.aws_iam_policy_document.read_site.json\n}\n\n', "")
    assert result.warnings == []
    # Used by an output that stays, the user's document stays too (and the refusal stands).
    used = PER_USER_POLICIES + '\noutput "ci_policy" {\n  value = data.aws_iam_policy_document.ci_deployer.json\n}\n'
    with pytest.raises(TerraformEditError, match=r'iam_users.tf:15: data "aws_iam_policy_document" "ci_deployer": '
                                                 r"aws_iam_user.ci_deployer is all that statement.resources holds"):
        remove_users(used, ["ci-deployer"])


# Names Terraform computes: refused, saying why.

def test_a_computed_name_is_refused_with_the_reason() -> None:
    text = """variable "environment" {
  type = string
}

resource "aws_iam_user" "deployer" {
  name = "${var.environment}-deployer"
}

resource "aws_iam_user" "ops" {
  name = "ops.bot"
}
"""
    with pytest.raises(TerraformEditError) as refused:
        remove_users(text, ["staging-deployer"])
    assert str(refused.value) == (
        "iam_users.tf: no IAM user named staging-deployer written out in the file; aws_iam_user.deployer (line 5) "
        'computes its name, "${var.environment}-deployer", from var.environment. A computed name is known only '
        "when Terraform runs (from a .tfvars file, -var, the workspace or another module), so this file cannot say "
        "which user it is, and an edit made on a guess could remove the wrong one: remove the user by hand "
        "(nothing changed)")
    # A name the computed one cannot be (it does not end in -deployer): simply not in the file.
    with pytest.raises(TerraformEditError, match=r"^iam_users.tf: no IAM user named bob.smith \(nothing changed\)$"):
        remove_users(text, ["bob.smith"])


def test_lookups_of_names_the_file_does_not_hold_are_refused_with_the_reason() -> None:
    text = """data "aws_iam_user" "console" {
  user_name = var.console_user_name
}

data "aws_iam_user" "deployers" {
  for_each  = toset(var.deployer_usernames)
  user_name = each.value
}
"""
    with pytest.raises(TerraformEditError) as refused:
        remove_users(text, ["jane.doe"])
    message = str(refused.value)
    assert ("data.aws_iam_user.console (line 1) computes its name, var.console_user_name, from var.console_user_name; "
            "data.aws_iam_user.deployers (line 5) takes its names from var.deployer_usernames (for_each)") in message
    assert "known only when Terraform runs" in message and message.endswith("(nothing changed)")
