<#
.SYNOPSIS
  Builds the ClinicDesk one-folder bundle and its NSIS installer on Windows.

.DESCRIPTION
  packaging\windows\build-windows.ps1 [-WhisperModel DIR[,DIR]] [-VoskModel DIR] [-Python python]

  1. renders the icons (packaging\make_icons.py),
  2. runs PyInstaller on packaging\clinicdesk.spec -> dist\clinicdesk\ (clinicdesk.exe for the command
     line, clinicdesk-gui.exe for the Start menu, _internal\ with Python, Qt, the speech engines, models),
  3. signs the executables when WINDOWS_SIGN_CERT_SHA1 names a code-signing certificate in the
     certificate store (signtool; skipped with a message otherwise),
  4. compiles packaging\windows\clinicdesk.nsi with makensis -> dist\ClinicDesk-<version>-setup.exe,
     and signs that too.

  Whisper model folders must be named whisper-tiny.en / whisper-base (make them with
  python packaging\make_whisper_model.py base build\models).
#>
param(
    [string[]]$WhisperModel = @(),
    [string]$VoskModel = "",
    [string]$Python = "python"
)
$ErrorActionPreference = "Stop"
$Root = (Resolve-Path (Join-Path $PSScriptRoot "..\..")).Path
Set-Location $Root

function Invoke-Checked([string]$Exe, [string[]]$Arguments) {
    & $Exe @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$Exe failed with exit code $LASTEXITCODE" }
}

function Find-Makensis {
    $onPath = Get-Command makensis -ErrorAction SilentlyContinue
    if ($onPath) { return $onPath.Source }
    foreach ($dir in @(${env:ProgramFiles(x86)}, $env:ProgramFiles)) {
        if ($dir -and (Test-Path "$dir\NSIS\makensis.exe")) { return "$dir\NSIS\makensis.exe" }
    }
    throw "makensis not found: install NSIS 3 (choco install nsis) or put makensis on PATH"
}

function Invoke-Sign([string[]]$Files) {
    if (-not $env:WINDOWS_SIGN_CERT_SHA1) {
        Write-Host "build-windows: WINDOWS_SIGN_CERT_SHA1 is not set: $($Files -join ', ') left unsigned"
        return
    }
    $timestamp = if ($env:WINDOWS_TIMESTAMP_URL) { $env:WINDOWS_TIMESTAMP_URL } else { "http://timestamp.digicert.com" }
    Invoke-Checked "signtool" (@("sign", "/sha1", $env:WINDOWS_SIGN_CERT_SHA1, "/fd", "SHA256",
        "/tr", $timestamp, "/td", "SHA256") + $Files)
}

$Version = (& $Python -c "import clinicdesk; print(clinicdesk.__version__)").Trim()
if ($LASTEXITCODE -ne 0 -or -not $Version) { throw "could not read clinicdesk.__version__" }
$Numbers = @([regex]::Matches($Version, "\d+") | ForEach-Object { $_.Value }) + @("0", "0", "0")
$FileVersion = ($Numbers[0..3] -join ".")

$Icons = Join-Path $Root "build\icons"
Invoke-Checked $Python @("packaging\make_icons.py", $Icons)

$SpecArgs = @("--icons", $Icons)
foreach ($dir in $WhisperModel) { $SpecArgs += @("--whisper-model", $dir) }
if ($VoskModel) { $SpecArgs += @("--vosk-model", $VoskModel) }
$started = Get-Date
Invoke-Checked $Python (@("-m", "PyInstaller", "packaging\clinicdesk.spec", "--noconfirm", "--log-level", "WARN",
    "--distpath", "dist", "--workpath", "build\pyinstaller-windows", "--") + $SpecArgs)
$Dist = Join-Path $Root "dist\clinicdesk"
Invoke-Checked "$Dist\clinicdesk.exe" @("--version")
Invoke-Sign @("$Dist\clinicdesk.exe", "$Dist\clinicdesk-gui.exe")

$Setup = Join-Path $Root "dist\ClinicDesk-$Version-setup.exe"
Invoke-Checked (Find-Makensis) @("/V2", "/DVERSION=$Version", "/DFILE_VERSION=$FileVersion",
    "/DDIST_DIR=$Dist", "/DICON=$Icons\app.ico", "/DOUTFILE=$Setup", "packaging\windows\clinicdesk.nsi")
Invoke-Sign @($Setup)

$size = (Get-ChildItem $Dist -Recurse -File | Measure-Object -Property Length -Sum).Sum
Write-Host ("build-windows: {0} ({1:N0} MiB installed, built in {2:N0} s)" -f $Setup, ($size / 1MB), ((Get-Date) - $started).TotalSeconds)
