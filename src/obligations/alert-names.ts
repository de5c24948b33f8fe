// Human names of GBCS alert codes for notices (GBCS Table 16.2 is authoritative; names follow
// SmartDCCInnovation/gbcs-parser, grouped as in the domain notes §4). Unknown codes are named by
// their code alone: a notice never fails for want of a name.
const NAMES: Record<string, string> = {
  '8F0F': 'Credit below disablement threshold (prepayment mode)',
  '81AA': 'Emergency credit exhausted',
  '8168': 'Supply disabled then armed: activate emergency credit',
  '810D': 'Low credit',
  '8119': 'Emergency credit available',
  '81AB': 'Emergency credit activated',
  '8F83': 'Supply disablement suspended',
  '8F32': 'Supply armed',
  '8F33': 'Load limit supply state set to disabled',
  '8F34': 'Load limit supply state set to enabled',
  '81BD': 'Supply connect failure',
  '81C0': 'Supply disconnect failure',
  '81BF': 'Uncontrolled gas flow rate threshold exceeded',
  '81B4': 'Excess gas flow beyond meter capacity',
  '81B5': 'Air in gas',
  '81B6': 'Reverse gas flow',
  '81BE': 'Valve locked (tamper)',
  '8F1D': 'Power loss (gas meter)',
  '8F1F': 'Low battery capacity',
  '8F3F': 'Tamper: unauthorised physical access',
  '8F73': 'Tamper: physical access (terminal cover removed)',
  '8F74': 'Tamper: physical access (terminal cover closed)',
  '8F75': 'Tamper: strong magnetic field',
  '8F76': 'Tamper: strong magnetic field removed',
  '8F77': 'Tamper: battery cover removed',
  '8F78': 'Tamper: battery cover closed',
  '81C3': 'Tilt tamper',
  '8F3D': 'Authentication failure',
  '8F3E': 'Authorisation failure',
  '8F30': 'Authentication failure (remote party)',
  '8F53': 'Command authentication failure',
  '8F60': 'Authentication failure (UTRN)',
  '8F57': 'Supply interrupted',
  '8F35': 'Supply restored',
  '8F1B': 'Firmware verification failed',
  '8F1C': 'Firmware verification failed (activation)',
  '81A0': 'Integrity check of content failed',
  '8F0A': 'Critical sensitive alert (billing data log)',
  '8F66': 'Future-dated execution of instruction (DLMS COSEM)',
  '8F67': 'Future-dated execution of instruction (GBZ)',
}

export function alertName(code: string | undefined): string {
  if (code === undefined) return 'Alert'
  return NAMES[code.toUpperCase()] ?? `Alert ${code.toUpperCase()}`
}
