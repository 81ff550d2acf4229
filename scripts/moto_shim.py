"""moto_server with the IAM Identity Center calls moto 5.2.5 lacks.

A TEST STAND-IN, not an emulator of record: the integration tests start this
instead of plain `moto_server` (see harness.rs, `start_moto`). It imports moto,
adds the missing sso-admin operations on moto's own models, and runs moto's
server with the same arguments. Everything else is moto unchanged.

Added (each as AWS documents it, on moto's `PermissionSet` objects):
- TagResource, UntagResource, ListTagsForResource: on `PermissionSet.tags`
  (moto keeps the tags CreatePermissionSet was given, but has no calls for them).
- PutPermissionsBoundaryToPermissionSet, GetPermissionsBoundaryForPermissionSet,
  DeletePermissionsBoundaryFromPermissionSet: a `permissions_boundary` attribute;
  Get raises ResourceNotFoundException when there is none.
- DescribePermissionSetProvisioningStatus: SUCCEEDED for the request ids that
  ProvisionPermissionSet returned (moto provisions at once).
Corrected:
- ProvisionPermissionSet and CreateAccountAssignment record the target account,
  and ListAccountsForProvisionedPermissionSet lists those accounts (moto ignores
  TargetId and lists only its own account). AWS: "As part of a successful
  CreateAccountAssignment call, the specified permission set will automatically
  be provisioned to the account" (API_CreateAccountAssignment.html).
- UpdateGroup (identity store): `description` and `displayName` operations.
- A permission set created without SessionDuration: moto answers the number
  3600, AWS an ISO 8601 duration (`PT1H`), which the SDK requires.

For measurements only: MOTO_SHIM_LATENCY_MS (default 0) delays every answer by
that many milliseconds, to see what concurrent reads save over sequential ones.
"""

import json
import os
import sys
import time
import uuid

from moto.core.responses import BaseResponse
from moto.core.utils import unix_time
from moto.identitystore.models import identitystore_backends
from moto.identitystore.responses import IdentityStoreResponse
from moto.server import main
from moto.ssoadmin.exceptions import ResourceNotFoundException
from moto.ssoadmin.models import PermissionSet, SSOAdminBackend
from moto.ssoadmin.responses import SSOAdminResponse

_PROVISIONED = {}  # (backend id, permission set ARN) -> set of account ids
_REQUESTS = {}  # provisioning request id -> status dict


def _provisioned(backend, arn):
    return _PROVISIONED.setdefault((id(backend), arn), set())


def _set(self):
    return self.ssoadmin_backend._find_permission_set(
        self._get_param("InstanceArn"),
        self._get_param("ResourceArn") or self._get_param("PermissionSetArn"),
    )


def tag_resource(self):
    ps = _set(self)
    new = {t["Key"]: t["Value"] for t in self._get_param("Tags") or []}
    old = {t["Key"]: t["Value"] for t in ps.tags or []}
    old.update(new)
    ps.tags = [{"Key": k, "Value": v} for k, v in old.items()]
    return "{}"


def untag_resource(self):
    ps = _set(self)
    keys = set(self._get_param("TagKeys") or [])
    ps.tags = [t for t in ps.tags or [] if t["Key"] not in keys]
    return "{}"


def list_tags_for_resource(self):
    return json.dumps({"Tags": list(_set(self).tags or [])})


def put_permissions_boundary_to_permission_set(self):
    _set(self).permissions_boundary = self._get_param("PermissionsBoundary")
    return "{}"


def get_permissions_boundary_for_permission_set(self):
    b = getattr(_set(self), "permissions_boundary", None)
    if not b:
        raise ResourceNotFoundException(message="No permissions boundary")
    return json.dumps({"PermissionsBoundary": b})


def delete_permissions_boundary_from_permission_set(self):
    _set(self).permissions_boundary = None
    return "{}"


def provision_permission_set(self):
    ps = _set(self)
    account = self._get_param("TargetId") or self.current_account
    _provisioned(self.ssoadmin_backend, ps.permission_set_arn).add(account)
    status = {
        "AccountId": account,
        "CreatedDate": unix_time(),
        "PermissionSetArn": ps.permission_set_arn,
        "RequestId": str(uuid.uuid4()),
        "Status": "SUCCEEDED",
    }
    _REQUESTS[status["RequestId"]] = status
    return json.dumps({"PermissionSetProvisioningStatus": status})


def describe_permission_set_provisioning_status(self):
    rid = self._get_param("ProvisionPermissionSetRequestId")
    if rid not in _REQUESTS:
        raise ResourceNotFoundException(message=f"No request {rid}")
    return json.dumps({"PermissionSetProvisioningStatus": _REQUESTS[rid]})


_create_assignment = SSOAdminBackend.create_account_assignment


def create_account_assignment(self, instance_arn, target_id, target_type,
                              permission_set_arn, principal_type, principal_id):
    self._find_permission_set(instance_arn, permission_set_arn)
    _provisioned(self, permission_set_arn).add(target_id)
    return _create_assignment(self, instance_arn, target_id, target_type,
                              permission_set_arn, principal_type, principal_id)


def list_accounts_for_provisioned_permission_set(self, instance_arn, permission_set_arn):
    self._find_permission_set(instance_arn, permission_set_arn)
    return sorted(_provisioned(self, permission_set_arn))


def update_group(self):
    backend = identitystore_backends[self.current_account][self.region]
    store = backend.identity_stores[self._get_param("IdentityStoreId")]
    gid = self._get_param("GroupId")
    group = store.groups[gid]
    for op in self._get_param("Operations") or []:
        path = op.get("AttributePath", "").lower()
        if path == "description":
            group = group._replace(Description=op.get("AttributeValue"))
        elif path == "displayname":
            group = group._replace(DisplayName=op.get("AttributeValue"))
    store.groups[gid] = group
    return "{}"


for f in (tag_resource, untag_resource, list_tags_for_resource,
          put_permissions_boundary_to_permission_set,
          get_permissions_boundary_for_permission_set,
          delete_permissions_boundary_from_permission_set,
          provision_permission_set, describe_permission_set_provisioning_status):
    setattr(SSOAdminResponse, f.__name__, f)
SSOAdminBackend.create_account_assignment = create_account_assignment
SSOAdminBackend.list_accounts_for_provisioned_permission_set = (
    list_accounts_for_provisioned_permission_set)
IdentityStoreResponse.update_group = update_group

_to_json = PermissionSet.to_json


def _iso_duration(self, *args, **kwargs):
    out = _to_json(self, *args, **kwargs)
    if isinstance(out.get("SessionDuration"), int):
        out["SessionDuration"] = f"PT{out['SessionDuration']}S"
    return out


PermissionSet.to_json = _iso_duration

_LATENCY = float(os.environ.get("MOTO_SHIM_LATENCY_MS", "0")) / 1000
if _LATENCY > 0:
    _call_action = BaseResponse.call_action

    def _slow(self):
        time.sleep(_LATENCY)
        return _call_action(self)

    BaseResponse.call_action = _slow

if __name__ == "__main__":
    main(sys.argv[1:])
