import { join } from 'node:path';

/** Every file scrydon keeps under $SCRYDON_HOME (default ~/.scrydon). The CLI decides the home; src/ never reads env. */
export interface HomePaths {
  home: string;
  catalog: string;
  packs: string;
  installState: string;
  sources: string;
  state: string;
  trust: string;
  /** The security policy (policy.yaml): registry allow-list and verify-before-install rules. */
  policy: string;
  authFile: string;
  tmp: string;
}

export function homePaths(home: string): HomePaths {
  return {
    home,
    catalog: join(home, 'catalog'),
    packs: join(home, 'packs'),
    installState: join(home, 'packs', 'installed.json'),
    sources: join(home, 'sources.yaml'),
    state: join(home, 'state'),
    trust: join(home, 'trust'),
    policy: join(home, 'policy.yaml'),
    authFile: join(home, 'auth.json'),
    tmp: join(home, 'tmp'),
  };
}
