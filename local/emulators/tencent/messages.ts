// Labels of the codes the emulator answers: documented ones per the v3.0 errors page, the rest its own.
import type { ReplayCodes } from './gate.ts';
import { EMULATOR_CODES } from './write-api.ts';

const DOCUMENTED: Record<number, [string, string]> = {
  10000: ['System busy; please retry the request', '系统繁忙，请稍后重试'],
  10001: ['System under maintenance', '系统维护中'],
  11000: ['Access token is expired', 'access_token 已过期，请通过 oauth/token 接口刷新'],
  11002: ['Access token is invalid', 'access_token 无效'],
  11004: ['Access token is malformed', 'access_token 格式不正确'],
  11005: ['Access token is empty', 'access_token 为必填字段'],
  11007: ['The client_id is invalid', '应用 id 无效'],
  11008: ['Application request limit has been exceeded', '应用请求次数已达限制，请稍后重试'],
  11010: ['Refresh token is malformed', 'refresh_token 格式错误'],
  11012: ['Refresh token is expired', 'refresh_token 已过期，请重新授权'],
  11014: ['The API is outside the scope of the token', '请求的接口超出了授权范围'],
  11016: ['Application reached the per-second request limit', '应用已达到每秒请求上限'],
  11017: ['Application reached the per-minute request limit', '应用请求已达分钟频次上限'],
  11018: ['Application reached the per-day request limit', '应用请求已达天频次上限，请 1 天后重试'],
  11019: ['Requests too frequent, or the account holder limit is reached', '请求过于频繁或主体频控已达上限'],
  12000: ['Missing required parameter', '缺少必填参数'],
};

const OWN: Record<number, [string, string]> = {
  [EMULATOR_CODES.invalidParam]: ['Invalid parameter', '参数不合法'],
  12009: ['fields contains an unsupported field', 'fields 参数中包含不支持的字段'],
  [EMULATOR_CODES.unknownAudience]: ['Audience not found in this account', '人群不存在'],
  [EMULATOR_CODES.nameTaken]: ['An audience with this name already exists', '人群名称已存在'],
  [EMULATOR_CODES.fileTooLarge]: ['File is larger than the limit', '文件大小超过限制'],
  [EMULATOR_CODES.notMultipart]: ['This call takes multipart/form-data', '请使用 multipart/form-data 上传'],
};

export function messageFor(code: number, replay: ReplayCodes, unknownAccountCode: number): [string, string] {
  if (code === replay.nonceReused) return ['nonce has been used', 'nonce 已被使用'];
  if (code === replay.staleTimestamp) return ['timestamp is out of the allowed range', 'timestamp 超出允许的时间范围'];
  if (code === unknownAccountCode) return ['No permission for this account', '无权限访问该账号'];
  return DOCUMENTED[code] ?? OWN[code] ?? [`emulated error ${code}`, `模拟错误 ${code}`];
}
