// The keys systemd 252 reads in [Unit], [Service] and [Install]: its own
// table (load-fragment-gperf), as the strings "Unit.After", "Service.ExecStart"
// ... in libsystemd-core-252.so. test/systemd/systemdTables.test.ts reads the
// installed library and fails if these lists and systemd disagree. [Install]
// adds UpheldBy=, which systemd 252's own parser does not know but Quadlet and
// podgen turn into .upholds/ links, which it does honour.
//
// Generated from the library, then kept here so generate needs no systemd.

export const UNIT_KEYS: ReadonlySet<string> = new Set([
  'After', 'AllowIsolate', 'AssertACPower', 'AssertArchitecture', 'AssertCPUFeature', 'AssertCPUPressure',
  'AssertCPUs', 'AssertCapability', 'AssertControlGroupController', 'AssertCredential', 'AssertDirectoryNotEmpty',
  'AssertEnvironment', 'AssertFileIsExecutable', 'AssertFileNotEmpty', 'AssertFirstBoot', 'AssertGroup',
  'AssertHost', 'AssertIOPressure', 'AssertKernelCommandLine', 'AssertKernelVersion', 'AssertMemory',
  'AssertMemoryPressure', 'AssertNeedsUpdate', 'AssertOSRelease', 'AssertPathExists', 'AssertPathExistsGlob',
  'AssertPathIsDirectory', 'AssertPathIsEncrypted', 'AssertPathIsMountPoint', 'AssertPathIsReadWrite',
  'AssertPathIsSymbolicLink', 'AssertSecurity', 'AssertUser', 'AssertVirtualization', 'Before', 'BindTo', 'BindsTo',
  'CollectMode', 'ConditionACPower', 'ConditionArchitecture', 'ConditionCPUFeature', 'ConditionCPUPressure',
  'ConditionCPUs', 'ConditionCapability', 'ConditionControlGroupController', 'ConditionCredential',
  'ConditionDirectoryNotEmpty', 'ConditionEnvironment', 'ConditionFileIsExecutable', 'ConditionFileNotEmpty',
  'ConditionFirmware', 'ConditionFirstBoot', 'ConditionGroup', 'ConditionHost', 'ConditionIOPressure',
  'ConditionKernelCommandLine', 'ConditionKernelVersion', 'ConditionMemory', 'ConditionMemoryPressure',
  'ConditionNeedsUpdate', 'ConditionOSRelease', 'ConditionPathExists', 'ConditionPathExistsGlob',
  'ConditionPathIsDirectory', 'ConditionPathIsEncrypted', 'ConditionPathIsMountPoint', 'ConditionPathIsReadWrite',
  'ConditionPathIsSymbolicLink', 'ConditionSecurity', 'ConditionUser', 'ConditionVirtualization', 'Conflicts',
  'DefaultDependencies', 'Description', 'Documentation', 'FailureAction', 'FailureActionExitStatus',
  'IgnoreOnIsolate', 'IgnoreOnSnapshot', 'JobRunningTimeoutSec', 'JobTimeoutAction', 'JobTimeoutRebootArgument',
  'JobTimeoutSec', 'JoinsNamespaceOf', 'OnFailure', 'OnFailureIsolate', 'OnFailureJobMode', 'OnSuccess',
  'OnSuccessJobMode', 'PartOf', 'PropagateReloadFrom', 'PropagateReloadTo', 'PropagatesReloadTo', 'PropagatesStopTo',
  'RebootArgument', 'RefuseManualStart', 'RefuseManualStop', 'ReloadPropagatedFrom', 'Requires', 'RequiresMountsFor',
  'RequiresOverridable', 'Requisite', 'RequisiteOverridable', 'SourcePath', 'StartLimitAction', 'StartLimitBurst',
  'StartLimitInterval', 'StartLimitIntervalSec', 'StopPropagatedFrom', 'StopWhenUnneeded', 'SuccessAction',
  'SuccessActionExitStatus', 'Upholds', 'Wants',
]);

export const SERVICE_KEYS: ReadonlySet<string> = new Set([
  'AllowedCPUs', 'AllowedMemoryNodes', 'AmbientCapabilities', 'AppArmorProfile', 'BPFProgram', 'BindPaths',
  'BindReadOnlyPaths', 'BlockIOAccounting', 'BlockIODeviceWeight', 'BlockIOReadBandwidth', 'BlockIOWeight',
  'BlockIOWriteBandwidth', 'BusName', 'BusPolicy', 'CPUAccounting', 'CPUAffinity', 'CPUQuota', 'CPUQuotaPeriodSec',
  'CPUSchedulingPolicy', 'CPUSchedulingPriority', 'CPUSchedulingResetOnFork', 'CPUShares', 'CPUWeight',
  'CacheDirectory', 'CacheDirectoryMode', 'Capabilities', 'CapabilityBoundingSet', 'ConfigurationDirectory',
  'ConfigurationDirectoryMode', 'CoredumpFilter', 'DefaultMemoryLow', 'DefaultMemoryMin', 'Delegate', 'DeviceAllow',
  'DevicePolicy', 'DisableControllers', 'DynamicUser', 'Environment', 'EnvironmentFile', 'ExecCondition',
  'ExecPaths', 'ExecReload', 'ExecSearchPath', 'ExecStart', 'ExecStartPost', 'ExecStartPre', 'ExecStop',
  'ExecStopPost', 'ExitType', 'ExtensionDirectories', 'ExtensionImages', 'FailureAction', 'FileDescriptorStoreMax',
  'FinalKillSignal', 'Group', 'GuessMainPID', 'IOAccounting', 'IODeviceLatencyTargetSec', 'IODeviceWeight',
  'IOReadBandwidthMax', 'IOReadIOPSMax', 'IOSchedulingClass', 'IOSchedulingPriority', 'IOWeight',
  'IOWriteBandwidthMax', 'IOWriteIOPSMax', 'IPAccounting', 'IPAddressAllow', 'IPAddressDeny', 'IPCNamespacePath',
  'IPEgressFilterPath', 'IPIngressFilterPath', 'IgnoreSIGPIPE', 'InaccessibleDirectories', 'InaccessiblePaths',
  'KeyringMode', 'KillMode', 'KillSignal', 'LimitAS', 'LimitCORE', 'LimitCPU', 'LimitDATA', 'LimitFSIZE',
  'LimitLOCKS', 'LimitMEMLOCK', 'LimitMSGQUEUE', 'LimitNICE', 'LimitNOFILE', 'LimitNPROC', 'LimitRSS', 'LimitRTPRIO',
  'LimitRTTIME', 'LimitSIGPENDING', 'LimitSTACK', 'LoadCredential', 'LoadCredentialEncrypted', 'LockPersonality',
  'LogExtraFields', 'LogLevelMax', 'LogNamespace', 'LogRateLimitBurst', 'LogRateLimitIntervalSec', 'LogsDirectory',
  'LogsDirectoryMode', 'ManagedOOMMemoryPressure', 'ManagedOOMMemoryPressureLimit', 'ManagedOOMPreference',
  'ManagedOOMSwap', 'MemoryAccounting', 'MemoryDenyWriteExecute', 'MemoryHigh', 'MemoryLimit', 'MemoryLow',
  'MemoryMax', 'MemoryMin', 'MemorySwapMax', 'MountAPIVFS', 'MountFlags', 'MountImages', 'NUMAMask', 'NUMAPolicy',
  'NetClass', 'NetworkNamespacePath', 'Nice', 'NoExecPaths', 'NoNewPrivileges', 'NonBlocking', 'NotifyAccess',
  'OOMPolicy', 'OOMScoreAdjust', 'PAMName', 'PIDFile', 'PassEnvironment', 'PermissionsStartOnly', 'Personality',
  'PrivateDevices', 'PrivateIPC', 'PrivateMounts', 'PrivateNetwork', 'PrivateTmp', 'PrivateUsers', 'ProcSubset',
  'ProtectClock', 'ProtectControlGroups', 'ProtectHome', 'ProtectHostname', 'ProtectKernelLogs',
  'ProtectKernelModules', 'ProtectKernelTunables', 'ProtectProc', 'ProtectSystem', 'ReadOnlyDirectories',
  'ReadOnlyPaths', 'ReadWriteDirectories', 'ReadWritePaths', 'RebootArgument', 'RemainAfterExit', 'RemoveIPC',
  'Restart', 'RestartForceExitStatus', 'RestartKillSignal', 'RestartPreventExitStatus', 'RestartSec',
  'RestrictAddressFamilies', 'RestrictFileSystems', 'RestrictNamespaces', 'RestrictNetworkInterfaces',
  'RestrictRealtime', 'RestrictSUIDSGID', 'RootDirectory', 'RootDirectoryStartOnly', 'RootHash', 'RootHashSignature',
  'RootImage', 'RootImageOptions', 'RootVerity', 'RuntimeDirectory', 'RuntimeDirectoryMode',
  'RuntimeDirectoryPreserve', 'RuntimeMaxSec', 'RuntimeRandomizedExtraSec', 'SELinuxContext', 'SecureBits',
  'SendSIGHUP', 'SendSIGKILL', 'SetCredential', 'SetCredentialEncrypted', 'Slice', 'SmackProcessLabel',
  'SocketBindAllow', 'SocketBindDeny', 'Sockets', 'StandardError', 'StandardInput', 'StandardInputData',
  'StandardInputText', 'StandardOutput', 'StartLimitAction', 'StartLimitBurst', 'StartLimitInterval',
  'StartupAllowedCPUs', 'StartupAllowedMemoryNodes', 'StartupBlockIOWeight', 'StartupCPUShares', 'StartupCPUWeight',
  'StartupIOWeight', 'StateDirectory', 'StateDirectoryMode', 'SuccessExitStatus', 'SupplementaryGroups',
  'SysVStartPriority', 'SyslogFacility', 'SyslogIdentifier', 'SyslogLevel', 'SyslogLevelPrefix',
  'SystemCallArchitectures', 'SystemCallErrorNumber', 'SystemCallFilter', 'SystemCallLog', 'TTYColumns', 'TTYPath',
  'TTYReset', 'TTYRows', 'TTYVHangup', 'TTYVTDisallocate', 'TasksAccounting', 'TasksMax', 'TemporaryFileSystem',
  'TimeoutAbortSec', 'TimeoutCleanSec', 'TimeoutSec', 'TimeoutStartFailureMode', 'TimeoutStartSec',
  'TimeoutStopFailureMode', 'TimeoutStopSec', 'TimerSlackNSec', 'Type', 'UMask', 'USBFunctionDescriptors',
  'USBFunctionStrings', 'UnsetEnvironment', 'User', 'UtmpIdentifier', 'UtmpMode', 'WatchdogSec', 'WatchdogSignal',
  'WorkingDirectory',
]);

export const INSTALL_KEYS: ReadonlySet<string> = new Set(['Alias', 'Also', 'DefaultInstance', 'RequiredBy', 'WantedBy', 'UpheldBy']);

/**
 * Settings whose words are unit names: systemd expands only UNIT_NAME_SPECIFIERS in them and
 * ignores a word that is no unit name.
 */
export const UNIT_NAME_KEYS: ReadonlySet<string> = new Set([
  'Requires', 'Requisite', 'Wants', 'BindsTo', 'PartOf', 'Upholds', 'Conflicts', 'Before', 'After', 'OnFailure', 'OnSuccess',
  'PropagatesReloadTo', 'ReloadPropagatedFrom', 'PropagatesStopTo', 'StopPropagatedFrom', 'JoinsNamespaceOf', 'Slice', 'Sockets',
  // Older spellings systemd 252 still reads the same way.
  'BindTo', 'PropagateReloadTo', 'PropagateReloadFrom', 'RequiresOverridable', 'RequisiteOverridable',
  'WantedBy', 'RequiredBy', 'UpheldBy', 'Alias', 'Also',
]);

/**
 * Keys whose empty assignment systemd 252 does not take as a reset: it logs "Failed to parse ...,
 * ignoring" and drops the line (measured with systemd-analyze verify; test/systemd/systemdTables.test.ts).
 */
export const NO_EMPTY_KEYS: Readonly<Record<'Unit' | 'Service', ReadonlySet<string>>> = {
  Unit: new Set([
    'AllowIsolate', 'CollectMode', 'DefaultDependencies', 'FailureAction', 'IgnoreOnIsolate', 'JobRunningTimeoutSec',
    'JobTimeoutAction', 'JobTimeoutSec', 'OnFailureIsolate', 'OnFailureJobMode', 'OnSuccessJobMode',
    'RefuseManualStart', 'RefuseManualStop', 'StartLimitAction', 'StartLimitBurst', 'StartLimitInterval',
    'StartLimitIntervalSec', 'StopWhenUnneeded', 'SuccessAction',
  ]),
  Service: new Set([
    'BlockIOAccounting', 'BusName', 'CPUAccounting', 'CPUSchedulingPriority', 'CPUSchedulingResetOnFork',
    'CacheDirectoryMode', 'ConfigurationDirectoryMode', 'DevicePolicy', 'DynamicUser', 'ExitType', 'FailureAction',
    'FileDescriptorStoreMax', 'FinalKillSignal', 'GuessMainPID', 'IOAccounting', 'IPAccounting', 'IgnoreSIGPIPE',
    'KeyringMode', 'KillSignal', 'LimitAS', 'LimitCORE', 'LimitCPU', 'LimitDATA', 'LimitFSIZE', 'LimitLOCKS',
    'LimitMEMLOCK', 'LimitMSGQUEUE', 'LimitNICE', 'LimitNOFILE', 'LimitNPROC', 'LimitRSS', 'LimitRTPRIO',
    'LimitRTTIME', 'LimitSIGPENDING', 'LimitSTACK', 'LockPersonality', 'LogLevelMax', 'LogRateLimitBurst',
    'LogRateLimitIntervalSec', 'LogsDirectoryMode', 'ManagedOOMPreference', 'MemoryAccounting',
    'MemoryDenyWriteExecute', 'NoNewPrivileges', 'NonBlocking', 'NotifyAccess', 'OOMPolicy', 'PermissionsStartOnly',
    'PrivateDevices', 'PrivateIPC', 'PrivateMounts', 'PrivateNetwork', 'PrivateTmp', 'PrivateUsers', 'ProcSubset',
    'ProtectClock', 'ProtectControlGroups', 'ProtectHome', 'ProtectHostname', 'ProtectKernelLogs',
    'ProtectKernelModules', 'ProtectKernelTunables', 'ProtectProc', 'ProtectSystem', 'RemainAfterExit', 'RemoveIPC',
    'Restart', 'RestartKillSignal', 'RestartSec', 'RestrictRealtime', 'RestrictSUIDSGID', 'RootDirectoryStartOnly',
    'RuntimeDirectoryMode', 'RuntimeDirectoryPreserve', 'RuntimeMaxSec', 'RuntimeRandomizedExtraSec', 'SendSIGHUP',
    'SendSIGKILL', 'Slice', 'StandardError', 'StandardInput', 'StandardOutput', 'StartLimitAction', 'StartLimitBurst',
    'StartLimitInterval', 'StateDirectoryMode', 'SyslogFacility', 'SyslogLevel', 'SyslogLevelPrefix', 'TTYReset',
    'TTYVHangup', 'TTYVTDisallocate', 'TasksAccounting', 'TimeoutCleanSec', 'TimeoutSec', 'TimeoutStartFailureMode',
    'TimeoutStartSec', 'TimeoutStopFailureMode', 'TimeoutStopSec', 'TimerSlackNSec', 'Type', 'UMask', 'UtmpMode',
    'WatchdogSec', 'WatchdogSignal',
  ]),
};

/** Keys systemd 252 still recognises only to say "Support for option X= has been removed and it is ignored". */
export const REMOVED_KEYS: ReadonlySet<string> = new Set(['IgnoreOnSnapshot', 'BusPolicy', 'Capabilities', 'NetClass', 'SysVStartPriority']);

/** Settings systemd 252 reads with parse_boolean() (measured: "Failed to parse boolean value" for a non-boolean). */
export const BOOLEAN_KEYS: Readonly<Record<'Unit' | 'Service', ReadonlySet<string>>> = {
  Unit: new Set(['AllowIsolate', 'DefaultDependencies', 'IgnoreOnIsolate', 'OnFailureIsolate', 'RefuseManualStart', 'RefuseManualStop', 'StopWhenUnneeded']),
  Service: new Set([
    'BlockIOAccounting', 'CPUAccounting', 'CPUSchedulingResetOnFork', 'DynamicUser', 'GuessMainPID', 'IOAccounting', 'IPAccounting',
    'IgnoreSIGPIPE', 'LockPersonality', 'MemoryAccounting', 'MemoryDenyWriteExecute', 'MountAPIVFS', 'NoNewPrivileges', 'NonBlocking',
    'PermissionsStartOnly', 'PrivateDevices', 'PrivateIPC', 'PrivateMounts', 'PrivateNetwork', 'PrivateTmp', 'PrivateUsers',
    'ProtectClock', 'ProtectControlGroups', 'ProtectHostname', 'ProtectKernelLogs', 'ProtectKernelModules', 'ProtectKernelTunables',
    'RemainAfterExit', 'RemoveIPC', 'RestrictRealtime', 'RestrictSUIDSGID', 'RootDirectoryStartOnly', 'SendSIGHUP', 'SendSIGKILL',
    'SyslogLevelPrefix', 'TTYReset', 'TTYVHangup', 'TTYVTDisallocate', 'TasksAccounting',
  ]),
};

/** How a setting takes absolute paths: one path (the whole value) or a list of words, and the prefixes allowed before each. */
export interface PathSetting {
  readonly list: boolean;
  /** Characters systemd allows in front of a path here, each once and in this order ("|!" for conditions, "-" for optional, "+" for relative to the root). */
  readonly prefixes: string;
  /** "~" (the user's home) is a path here. */
  readonly home?: boolean;
}

const CONDITION_PATH = ['DirectoryNotEmpty', 'FileNotEmpty', 'FileIsExecutable', 'NeedsUpdate', 'PathExists', 'PathExistsGlob', 'PathIsDirectory',
  'PathIsEncrypted', 'PathIsMountPoint', 'PathIsSymbolicLink', 'PathIsReadWrite'];
const single = (prefixes = ''): PathSetting => ({ list: false, prefixes });
const list = (prefixes = ''): PathSetting => ({ list: true, prefixes });

/**
 * Settings systemd 252 refuses with "path is not absolute" (measured; MountImages= and USBFunction*=
 * have grammars of their own and are left to systemd). test/systemd/systemdTables.test.ts compares
 * podgen's verdict with systemd's for every key here and a dozen kinds of value.
 */
export const PATH_SETTINGS: Readonly<Record<'Unit' | 'Service', Readonly<Record<string, PathSetting>>>> = {
  Unit: {
    ...Object.fromEntries(CONDITION_PATH.flatMap((c) => [[`Condition${c}`, single('|!')], [`Assert${c}`, single('|!')]])),
    RequiresMountsFor: list(),
    SourcePath: single(),
  },
  Service: {
    BindPaths: list('-'), BindReadOnlyPaths: list('-'), ExtensionImages: list('-'),
    ExecPaths: list('-+'), NoExecPaths: list('-+'), ReadOnlyPaths: list('-+'), ReadWritePaths: list('-+'), InaccessiblePaths: list('-+'),
    ReadOnlyDirectories: list('-+'), ReadWriteDirectories: list('-+'), InaccessibleDirectories: list('-+'), ExtensionDirectories: list('-+'),
    TemporaryFileSystem: list(),
    EnvironmentFile: single('-'), WorkingDirectory: { list: false, prefixes: '-', home: true },
    ExecSearchPath: single(), IPCNamespacePath: single(), NetworkNamespacePath: single(), IPEgressFilterPath: single(),
    IPIngressFilterPath: single(), RootDirectory: single(), RootImage: single(), RootVerity: single(), TTYPath: single(),
  },
};
