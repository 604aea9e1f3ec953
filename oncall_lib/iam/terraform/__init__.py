"""Removing IAM users from Terraform text, touching nothing else.

Text in, text out, in three steps, one module each: `syntax` reads the file
once with tree-sitter (blocks, attributes, list items, every reference, the
`${...}` inside heredocs included); `edit` plans what goes with each user;
`cuts` turns that into byte ranges cut out of the original, so every byte not
removed stays as it was (no reformatting, comments kept). The result is parsed
again and must have no syntax error, or nothing is returned.
"""

from oncall_lib.iam.terraform.edit import EditResult, owners, remove_users
from oncall_lib.iam.terraform.syntax import TerraformEditError

__all__ = ["EditResult", "TerraformEditError", "owners", "remove_users"]
