// Built-in Entra role template ids (stable across tenants) with the PRIVILEGED label Microsoft
// gives them, both from the Microsoft Learn page "Microsoft Entra built-in roles"
// (learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference). The tier-0
// set is pimops' own choice, not Microsoft's: roles that can grant themselves or anyone else the
// rest. Config (checks.tier0Roles) extends it.
export interface RoleRow {
  id: string;
  name: string;
  privileged: boolean;
  tier0: boolean;
}

const r = (id: string, name: string, privileged: boolean, tier0 = false): RoleRow => ({ id, name, privileged, tier0 });

export const BUILT_IN_ROLES: RoleRow[] = [
  r('62e90394-69f5-4237-9190-012177145e10', 'Global Administrator', true, true),
  r('e8611ab8-c189-46e8-94e1-60213ab1f814', 'Privileged Role Administrator', true, true),
  r('7be44c8a-adaf-4e2a-84d6-ab2649e08a13', 'Privileged Authentication Administrator', true, true),
  r('b1be1c3e-b65d-4f19-8427-f6fa0d97feb9', 'Conditional Access Administrator', true, true),
  r('8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2', 'Hybrid Identity Administrator', true, true),
  r('194ae4cb-b126-40b2-bd5b-6091b380977d', 'Security Administrator', true),
  r('fe930be7-5e62-47db-91af-98c3a49a38b1', 'User Administrator', true),
  r('9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3', 'Application Administrator', true),
  r('158c047a-c907-4556-b7ef-446551a6b5f7', 'Cloud Application Administrator', true),
  r('c4e39bd9-1100-46d3-8c65-fb160da0071f', 'Authentication Administrator', true),
  r('729827e3-9c14-49f7-bb1b-9608f156bbb8', 'Helpdesk Administrator', true),
  r('966707d0-3269-4727-9be2-8c3a10f19b9d', 'Password Administrator', true),
  r('3a2c62db-5318-420d-8d74-23affee5d9d5', 'Intune Administrator', true),
  r('f2ef992c-3afb-46b9-b7cf-a126ee74c451', 'Global Reader', true),
  r('5f2222b1-57c3-48ba-8ad5-d4759f1fde6f', 'Security Operator', true),
  r('5d6b6bb7-de71-4623-b4af-96380a352509', 'Security Reader', true),
  r('9360feb5-f418-4baa-8175-e2a00bac4301', 'Directory Writers', true),
  r('8329153b-31d0-4727-b945-745eb3bc5f31', 'Domain Name Administrator', true),
  r('be2f45a1-457d-42af-a067-6ec1fa63bc45', 'External Identity Provider Administrator', true),
  r('7698a772-787b-4ac8-901f-60d6b08affd2', 'Cloud Device Administrator', true),
  r('4ba39ca4-527c-499a-b93d-d9b492c50246', 'Partner Tier1 Support', true),
  r('e00e864a-17c5-4a4b-9c06-f5b95a8d5bd8', 'Partner Tier2 Support', true),
  r('29232cdf-9323-42fd-ade2-1d097af3e4de', 'Exchange Administrator', false),
  r('f28a1f50-f6e7-4571-818b-6a12f2af6b6c', 'SharePoint Administrator', false),
  r('fdd7a751-b60b-444a-984c-02652fe8fa1c', 'Groups Administrator', false),
  r('45d8d3c5-c802-45c6-b32a-1d70b5e1e86e', 'Identity Governance Administrator', false),
  r('4a5d8f65-41da-4de4-8968-e035b65339cf', 'Reports Reader', false),
  r('88d8e3e3-8f55-4a1e-953a-9b9898b8876b', 'Directory Readers', false),
];

export function rolesValuesSql(): string {
  return BUILT_IN_ROLES.map((x) => `('${x.id}', '${x.name.replaceAll("'", "''")}', ${x.privileged}, ${x.tier0})`).join(
    ',\n',
  );
}
