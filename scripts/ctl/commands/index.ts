/** Every ctl command, in the order the help lists them. */
import type { CtlCommand } from "../support";
import { auditAnchor } from "./audit-anchor";
import { auditSample } from "./audit-sample";
import { auditVerify } from "./audit-verify";
import { auditVerifyAnchors } from "./audit-verify-anchors";
import { auditVerifyExport } from "./audit-verify-export";
import { repoAdd } from "./repo-add";
import { repoDeploySettings } from "./repo-deploy-settings";
import { repoList } from "./repo-list";
import { repoTestSettings } from "./repo-test-settings";
import { runDetail } from "./run";
import { recentRuns } from "./runs";
import { simulateHistory } from "./simulate-history";
import { submit } from "./submit";
import { tokenCreate } from "./token-create";
import { tokenList } from "./token-list";
import { tokenRevoke } from "./token-revoke";
import { userCreate } from "./user-create";
import { userList } from "./user-list";
import { userUpdate } from "./user-update";

export const commands: CtlCommand[] = [
  userCreate,
  userUpdate,
  userList,
  tokenCreate,
  tokenList,
  tokenRevoke,
  repoAdd,
  repoList,
  repoTestSettings,
  repoDeploySettings,
  submit,
  recentRuns,
  runDetail,
  simulateHistory,
  auditVerifyExport,
  auditVerify,
  auditSample,
  auditAnchor,
  auditVerifyAnchors,
];
