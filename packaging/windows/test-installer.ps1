<#
.SYNOPSIS
  Installs, upgrades and uninstalls ClinicDesk silently on a Windows runner, with the app running and not.

.DESCRIPTION
  packaging\windows\test-installer.ps1 -Setup dist\ClinicDesk-<version>-setup.exe -Work <empty folder>

  What makensis on Linux cannot show (tests/packaging compiles the script there, nothing more):
  1. a per-user silent install puts clinicdesk.exe, clinicdesk-gui.exe and _internal\ in the folder;
  2. while the installed clinicdesk.exe runs (the window, offscreen), a silent upgrade and a silent
     uninstall both refuse with exit code 2 and leave every file in place (Windows locks running files);
  3. once it is closed, the upgrade succeeds; an uninstall removes the program and keeps the user's
     profiles (%LOCALAPPDATA%\ClinicDesk); /REMOVEPROFILES, run by the installing account, deletes them.
  Exits non-zero with a message at the first surprise.
#>
param(
    [Parameter(Mandatory = $true)][string]$Setup,
    [Parameter(Mandatory = $true)][string]$Work
)
$ErrorActionPreference = "Stop"
New-Item -ItemType Directory -Force -Path $Work | Out-Null
$Work = (Resolve-Path $Work).Path
$Dir = Join-Path $Work "ClinicDesk"
$Exe = Join-Path $Dir "clinicdesk.exe"
$Uninstaller = Join-Path $Dir "uninstall.exe"
$Data = Join-Path $env:LOCALAPPDATA "ClinicDesk"
$Marker = Join-Path $Data "profiles\installer-test\keep.txt"

function Fail([string]$Message) { Write-Host "installer test: FAILED $Message"; exit 1 }
function Ok([string]$Message) { Write-Host "installer test: ok   $Message" }

function Invoke-Exit([string]$File, [string[]]$Arguments) {
    $process = Start-Process -FilePath $File -ArgumentList $Arguments -Wait -PassThru -NoNewWindow
    return $process.ExitCode
}
# /D= must come last and unquoted; _?= runs the uninstaller in place, so the call waits for it
function Install { return Invoke-Exit $Setup @("/S", "/CurrentUser", "/D=$Dir") }
function Uninstall([string[]]$Extra = @()) {
    return Invoke-Exit $Uninstaller (@("/S", "/CurrentUser") + $Extra + @("_?=$Dir"))
}

$code = Install
if ($code -ne 0 -or -not (Test-Path $Exe) -or -not (Test-Path (Join-Path $Dir "clinicdesk-gui.exe")) `
        -or -not (Test-Path (Join-Path $Dir "_internal"))) {
    Fail "install: exit code $code, or files missing in $Dir"
}
Ok "silent per-user install into $Dir"

# the installed app, running: the window on Qt's offscreen platform, unlocked by the environment
$env:CLINICDESK_HOME = Join-Path $Work "home"
$env:CLINICDESK_PASSWORD = "installer test password"
$env:QT_QPA_PLATFORM = "offscreen"
$ProfileDir = Join-Path $env:CLINICDESK_HOME "profiles\running"
& $Exe seed --profile $ProfileDir --patients 20 --days 3
if ($LASTEXITCODE -ne 0) { Fail "seed with the installed executable: exit code $LASTEXITCODE" }
$app = Start-Process -FilePath $Exe -ArgumentList @("gui", "--profile", $ProfileDir) -PassThru -NoNewWindow
Start-Sleep -Seconds 15
if ($app.HasExited) { Fail "the installed window exited early (code $($app.ExitCode))" }
$before = (Get-Item $Exe).LastWriteTimeUtc

$code = Install
if ($code -ne 2) { Fail "an upgrade while ClinicDesk runs should refuse with exit code 2, got $code" }
$code = Uninstall
if ($code -ne 2) { Fail "an uninstall while ClinicDesk runs should refuse with exit code 2, got $code" }
if (-not (Test-Path $Exe) -or -not (Test-Path (Join-Path $Dir "_internal")) -or `
        (Get-Item $Exe).LastWriteTimeUtc -ne $before) {
    Fail "a refused upgrade or uninstall changed the installed files"
}
Ok "upgrade and uninstall refuse while clinicdesk.exe runs, and change nothing"

Stop-Process -Id $app.Id -Force
$app.WaitForExit()
Start-Sleep -Seconds 2
$code = Install
if ($code -ne 0) { Fail "upgrade after closing ClinicDesk: exit code $code" }
Ok "upgrade once ClinicDesk is closed"

New-Item -ItemType Directory -Force -Path (Split-Path $Marker) | Out-Null
Set-Content -Path $Marker -Value "a profile the uninstaller must keep"
$code = Uninstall
if ($code -ne 0 -or (Test-Path $Exe) -or (Test-Path (Join-Path $Dir "_internal"))) {
    Fail "uninstall: exit code $code, or program files left behind"
}
if (-not (Test-Path $Marker)) { Fail "uninstall deleted the user's profiles without /REMOVEPROFILES" }
Ok "uninstall removes the program and keeps the profiles"

$code = Install
if ($code -ne 0) { Fail "reinstall: exit code $code" }
$code = Uninstall @("/REMOVEPROFILES")
if ($code -ne 0) { Fail "uninstall /REMOVEPROFILES: exit code $code" }
if (Test-Path $Marker) { Fail "uninstall /REMOVEPROFILES by the installing account kept the profiles" }
Ok "uninstall /REMOVEPROFILES by the installing account deletes its profiles"
Write-Host "installer test: all steps passed"
