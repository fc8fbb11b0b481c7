// The frameworks pimops maps its rules and metrics to: each control's title, its public source, and
// whether the mapping was made against the full text or by control title.

export const FRAMEWORK_IDS = ['cisa-scuba', 'nist-800-53', 'cis-m365', 'iso-27001', 'soc2'] as const;

export type FrameworkId = (typeof FRAMEWORK_IDS)[number];

export interface Framework {
  id: FrameworkId;
  name: string;
  /** 'published text': mapped against the control's own words; 'by control title': against its title. */
  basis: 'published text' | 'by control title';
  sources: string[];
  /** The framework's controls in scope; one no rule or query evidences is listed as such in the index. */
  controls: Record<string, string>;
}

export const FRAMEWORKS: Record<FrameworkId, Framework> = {
  'cisa-scuba': {
    id: 'cisa-scuba',
    name: 'CISA SCuBA M365 Secure Configuration Baseline for Microsoft Entra ID, section 7 (Highly Privileged User Access)',
    basis: 'published text',
    sources: [
      'https://github.com/cisagov/ScubaGear/blob/main/PowerShell/ScubaGear/baselines/aad.md#7-highly-privileged-user-access',
    ],
    controls: {
      'MS.AAD.7.1v1':
        'A minimum of two users and a maximum of eight users SHALL be provisioned with the Global Administrator role.',
      'MS.AAD.7.2v1': 'Privileged users SHALL be provisioned with finer-grained roles instead of Global Administrator.',
      'MS.AAD.7.3v1':
        'Privileged users SHALL be provisioned cloud-only accounts separate from an on-premises directory or other federated identity providers.',
      'MS.AAD.7.4v1': 'Permanent active role assignments SHALL NOT be allowed for highly privileged roles.',
      'MS.AAD.7.5v1': 'Provisioning users to highly privileged roles SHALL NOT occur outside of a PAM system.',
      'MS.AAD.7.6v1': 'Activation of the Global Administrator role SHALL require approval.',
      'MS.AAD.7.7v1': 'Eligible and Active highly privileged role assignments SHALL trigger an alert.',
      'MS.AAD.7.8v1': 'User activation of the Global Administrator role SHALL trigger an alert.',
      'MS.AAD.7.9v1': 'User activation of other highly privileged roles SHOULD trigger an alert.',
    },
  },
  'nist-800-53': {
    id: 'nist-800-53',
    name: 'NIST SP 800-53 Rev. 5, AC-2 Account Management and AC-6 Least Privilege',
    basis: 'published text',
    sources: ['https://doi.org/10.6028/NIST.SP.800-53r5', 'https://csrc.nist.gov/pubs/sp/800/53/r5/upd1/final'],
    controls: {
      'AC-2': 'Account Management (g: monitor the use of accounts; j: review accounts for compliance)',
      'AC-2(3)': 'Account Management | Disable Accounts (among others, when inactive for a defined period)',
      'AC-2(4)': 'Account Management | Automated Audit Actions (creation, modification, disabling, removal)',
      'AC-2(7)':
        'Account Management | Privileged User Accounts (monitor privileged role assignments and changes; revoke when no longer appropriate)',
      'AC-2(12)': 'Account Management | Account Monitoring for Atypical Usage',
      'AC-6': 'Least Privilege',
      'AC-6(1)': 'Least Privilege | Authorize Access to Security Functions',
      'AC-6(5)': 'Least Privilege | Privileged Accounts',
      'AC-6(7)': 'Least Privilege | Review of User Privileges',
      'AC-6(9)': 'Least Privilege | Log Use of Privileged Functions',
    },
  },
  'cis-m365': {
    id: 'cis-m365',
    name: 'CIS Microsoft 365 Foundations Benchmark (v3.0.0 to v5.0.0), privileged-access recommendations',
    basis: 'by control title',
    sources: [
      'https://maester.dev/docs/next/tests/CIS.M365.1.1.3',
      'https://configcobra.com/blog/cis-m365-admin-center-section-1-controls',
      'https://www.tenable.com/audits/items/CIS_Microsoft_365_v3.0.0_E5_Level_2.audit:1a6b2aa412e69252478d0c738e3374a7',
      'https://hub.powerpipe.io/mods/turbot/steampipe-mod-microsoft365-compliance/controls/control.cis_v500_5_3_3',
      'https://www.powershellgallery.com/packages/monkey365/0.95.1/Content/rules%5Cfindings%5CEntraID%5CGeneral%5CCIS4.0%5Ceid-approval-not-required-for-global-admin-role-activation.json',
    ],
    controls: {
      '1.1.2': 'Ensure two emergency access accounts have been defined',
      '1.1.3': 'Ensure that between two and four global admins are designated',
      '5.3.1': "Ensure 'Privileged Identity Management' is used to manage roles",
      '5.3.3': "Ensure 'Access reviews' for privileged roles are configured",
      '5.3.4': 'Ensure approval is required for Global Administrator role activation',
    },
  },
  'iso-27001': {
    id: 'iso-27001',
    name: 'ISO/IEC 27001:2022 Annex A',
    basis: 'by control title',
    sources: [
      'https://www.isms.online/iso-27001/annex-a/5-15-access-control-2022/',
      'https://www.isms.online/iso-27001/annex-a/8-2-use-of-privileged-access-rights-2022',
      'https://www.voragosecurity.com/annex-controls/iso-27001-2022-annex-a-8-2-privileged-access-rights',
    ],
    controls: { '5.15': 'Access control', '5.18': 'Access rights', '8.2': 'Privileged access rights' },
  },
  'soc2': {
    id: 'soc2',
    name: 'AICPA 2017 Trust Services Criteria (SOC 2), logical access CC6.1–CC6.3',
    basis: 'by control title',
    sources: ['https://ac5labs.com/soc2-readiness/controls/CC6.2', 'https://ac5labs.com/soc2-readiness/controls/CC6.3'],
    controls: {
      'CC6.1': 'Logical access security software, infrastructure, and architectures over protected information assets',
      'CC6.2':
        'Registers and authorizes new users before issuing credentials; removes credentials when access is no longer authorized',
      'CC6.3':
        'Authorizes, modifies, or removes access based on roles, responsibilities, or the system design and changes',
    },
  },
};
