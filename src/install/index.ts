export { installPack, orderedContents, type InstallOptions, type InstallResult } from './install.js';
export { admitUnderPolicy, storePolicyAdmission, type Admission, type PolicyCheck, type StorePolicyFiles } from './admission.js';
export { listInstalled, uninstallPack } from './uninstall.js';
export {
  INSTALL_STATUSES,
  installStatePath,
  readInstallState,
  withInstallState,
  type InstallRecord,
  type InstallState,
  type InstallStatus,
  type InstalledContent,
} from './state.js';
export { extractPackLayer, type Extracted } from './extract.js';
