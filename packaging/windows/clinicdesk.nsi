; ClinicDesk installer for Windows (NSIS 3, Unicode).
;
; Built by packaging\windows\build-windows.ps1 after PyInstaller, or by hand:
;   makensis /DVERSION=0.1.0 /DDIST_DIR=..\..\dist\clinicdesk /DICON=..\..\build\icons\app.ico ^
;            /DOUTFILE=..\..\dist\ClinicDesk-0.1.0-setup.exe packaging\windows\clinicdesk.nsi
; (relative paths are relative to this file: makensis changes into its folder).
;
; Defines:
;   VERSION       required, the app version (clinicdesk.__version__)
;   FILE_VERSION  four numbers for the installer's version resource; default ${VERSION}.0
;   DIST_DIR      the PyInstaller one-folder build (clinicdesk.exe, clinicdesk-gui.exe, _internal\)
;   OUTFILE       the installer to write; default ClinicDesk-${VERSION}-setup.exe next to this file
;   ICON          optional .ico for the installer, the uninstaller and the Start-menu entry
;   COMPRESSOR    optional: zlib for quick test builds; default solid lzma
;
; Install modes: per-machine (Program Files, all users; needs administrator rights) or per-user
; (%LOCALAPPDATA%\Programs, no rights needed), chosen on a page or with /AllUsers or /CurrentUser.
; Silent: setup.exe /S /CurrentUser [/D=C:\path]. Uninstall: uninstall.exe [/S] [/REMOVEPROFILES].
;
; The uninstaller keeps the user's encrypted profiles (%LOCALAPPDATA%\ClinicDesk): they may hold
; changes not yet synced to the practice server. They go only when the user ticks "Delete my
; encrypted profiles" (and confirms), or with /REMOVEPROFILES, and only the profiles of the account that
; installed ClinicDesk: an uninstaller elevated with another account's credentials never deletes that
; account's data folder.
;
; Neither the installer nor the uninstaller touches the program while ClinicDesk runs (Windows locks
; a running executable and its DLLs, so an upgrade would stop half-way): they ask to close it, with
; Retry / Cancel; silent runs cancel (exit code 2).
;
; Paths are joined with "\" everywhere: makensis on Windows splits folders on "\" only (makensis on
; Linux, which the test suite runs, turns "\" into "/"). tests/packaging checks no "/" join creeps back.

Unicode true
ManifestDPIAware true

!ifndef VERSION
  !error "Pass the app version: makensis /DVERSION=x.y.z ..."
!endif
!ifndef FILE_VERSION
  !define FILE_VERSION "${VERSION}.0"
!endif
!ifndef DIST_DIR
  !define DIST_DIR "..\..\dist\clinicdesk"
!endif
!ifndef OUTFILE
  !define OUTFILE "ClinicDesk-${VERSION}-setup.exe"
!endif
!ifdef COMPRESSOR
  SetCompressor /SOLID ${COMPRESSOR}
!else
  SetCompressor /SOLID lzma
!endif

!define APP_NAME "ClinicDesk"
!define PUBLISHER "ClinicDesk"
!define GUI_EXE "clinicdesk-gui.exe"
!define CLI_EXE "clinicdesk.exe"
!define SETTINGS_KEY "Software\ClinicDesk"
!define UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\ClinicDesk"
; the user's data folder (platformdirs user_data_dir("ClinicDesk", appauthor=False))
!define USER_DATA "$LOCALAPPDATA\ClinicDesk"
; the user's cache (platformdirs user_cache_dir("ClinicDesk", appauthor=False)): derived files, e.g. the assembled Whisper base
!define USER_CACHE "$LOCALAPPDATA\ClinicDesk\Cache"

; Fail at compile time, not on a clinic PC, when the build is incomplete.
!if ! /FileExists "${DIST_DIR}\${CLI_EXE}"
  !error "${DIST_DIR}\${CLI_EXE} is missing: build the one-folder bundle with PyInstaller first"
!endif
!if ! /FileExists "${DIST_DIR}\${GUI_EXE}"
  !error "${DIST_DIR}\${GUI_EXE} is missing: build the one-folder bundle on Windows (the spec makes it there)"
!endif
!if ! /FileExists "${DIST_DIR}\_internal"
  !error "${DIST_DIR}\_internal is missing: not a PyInstaller 6 one-folder build"
!endif

Name "${APP_NAME}"
OutFile "${OUTFILE}"
BrandingText "${APP_NAME} ${VERSION}"

; --- per-user or per-machine ---------------------------------------------------------------------------
!define MULTIUSER_EXECUTIONLEVEL Highest
!define MULTIUSER_MUI
!define MULTIUSER_INSTALLMODE_COMMANDLINE
!define MULTIUSER_INSTALLMODE_INSTDIR "${APP_NAME}"
!define MULTIUSER_USE_PROGRAMFILES64
!define MULTIUSER_INSTALLMODE_INSTDIR_REGISTRY_KEY "${SETTINGS_KEY}"
!define MULTIUSER_INSTALLMODE_INSTDIR_REGISTRY_VALUENAME "InstallDir"
!define MULTIUSER_INSTALLMODE_DEFAULT_REGISTRY_KEY "${SETTINGS_KEY}"
!define MULTIUSER_INSTALLMODE_DEFAULT_REGISTRY_VALUENAME "InstallMode"
!include MultiUser.nsh
!include MUI2.nsh
!include LogicLib.nsh
!include FileFunc.nsh
!include Sections.nsh
!include x64.nsh

; --- version resource of setup.exe (the app's executables carry their own, from the PyInstaller spec) ---
VIProductVersion "${FILE_VERSION}"
VIFileVersion "${FILE_VERSION}"
VIAddVersionKey /LANG=1033 "ProductName" "${APP_NAME}"
VIAddVersionKey /LANG=1033 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=1033 "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=1033 "FileDescription" "${APP_NAME} ${VERSION} setup"
VIAddVersionKey /LANG=1033 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=1033 "LegalCopyright" "Copyright (C) ${PUBLISHER}"

; --- pages ---------------------------------------------------------------------------------------------
!define MUI_ABORTWARNING
!ifdef ICON
  !define MUI_ICON "${ICON}"
  !define MUI_UNICON "${ICON}"
!endif
!define MUI_COMPONENTSPAGE_NODESC

!insertmacro MUI_PAGE_WELCOME
!insertmacro MULTIUSER_PAGE_INSTALLMODE
!define MUI_PAGE_CUSTOMFUNCTION_LEAVE DirectoryLeave
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH

!insertmacro MUI_UNPAGE_CONFIRM
!define MUI_PAGE_CUSTOMFUNCTION_LEAVE un.ConfirmProfileRemoval
!insertmacro MUI_UNPAGE_COMPONENTS
!insertmacro MUI_UNPAGE_INSTFILES

!insertmacro MUI_LANGUAGE "English"

; --- ClinicDesk must not be running ----------------------------------------------------------------------
; Windows refuses to open a running executable for writing, whichever user runs it (the loader holds it
; without FILE_SHARE_WRITE): ERROR_SHARING_VIOLATION. Trying that on the installed clinicdesk.exe and
; clinicdesk-gui.exe tells exactly whether replacing or deleting the program would fail on locked files,
; with no extra plugin (System is part of NSIS) and no help from the app. Any other error (access
; denied, say) is not "running": the copy itself then reports it.

; Sets $R1 to EXE when $INSTDIR\EXE exists and is in use. Uses $R2 and $R3.
!macro _IN_USE EXE
  ${If} ${FileExists} "$INSTDIR\${EXE}"
    ; CreateFileW(path, GENERIC_WRITE, FILE_SHARE_READ|WRITE|DELETE, NULL, OPEN_EXISTING, NORMAL, NULL)
    System::Call 'kernel32::CreateFileW(w "$INSTDIR\${EXE}", i 0x40000000, i 7, p 0, i 3, i 0x80, p 0) p.R2 ?e'
    Pop $R3  ; GetLastError
    ${If} $R2 = -1
      ${If} $R3 = 32  ; ERROR_SHARING_VIOLATION
        StrCpy $R1 "${EXE}"
      ${EndIf}
    ${Else}
      System::Call 'kernel32::CloseHandle(p R2)'
    ${EndIf}
  ${EndIf}
!macroend
; Asks to close ClinicDesk (Retry / Cancel) while it runs; leaves "ok" or "cancel" on the stack.
!macro CLOSE_CLINICDESK_FUNCTION UN
Function ${UN}CloseClinicDesk
  Push $R1
  Push $R2
  Push $R3
  retry:
  StrCpy $R1 ""
  !insertmacro _IN_USE "${CLI_EXE}"
  !insertmacro _IN_USE "${GUI_EXE}"
  ${If} $R1 != ""
    DetailPrint "${APP_NAME} is running ($INSTDIR\$R1)"
    MessageBox MB_RETRYCANCEL|MB_ICONEXCLAMATION \
      "${APP_NAME} is still running ($R1).$\r$\n$\r$\nClose every ${APP_NAME} window, for every user signed in to this computer, then click Retry. Cancel leaves ${APP_NAME} as it is." \
      /SD IDCANCEL IDRETRY retry
    StrCpy $R1 "cancel"
  ${Else}
    StrCpy $R1 "ok"
  ${EndIf}
  Pop $R3
  Pop $R2
  Exch $R1
FunctionEnd
!macroend
!insertmacro CLOSE_CLINICDESK_FUNCTION ""
!insertmacro CLOSE_CLINICDESK_FUNCTION "un."

; --- whose data the uninstaller may touch ------------------------------------------------------------
; The installer records the data folder of the account that ran it. The uninstaller deletes a data
; folder (profiles when asked, the cache always) only when it runs as that same account: elevated with
; another account's credentials, $LOCALAPPDATA is that other account's, and its profiles are not ours.
Var OwnerData

; --- install -------------------------------------------------------------------------------------------
Function .onInit
  ${IfNot} ${RunningX64}
    MessageBox MB_OK|MB_ICONSTOP "${APP_NAME} needs 64-bit Windows 10 or later." /SD IDOK
    Abort
  ${EndIf}
  SetRegView 64
  !insertmacro MULTIUSER_INIT
FunctionEnd

Function DirectoryLeave
  Call CloseClinicDesk
  Pop $0
  ${If} $0 != "ok"
    Abort  ; stays on the folder page
  ${EndIf}
FunctionEnd

Section "${APP_NAME}" SecProgram
  SectionIn RO
  ; again here: silent installs skip the pages, and the app may have been started since
  Call CloseClinicDesk
  Pop $0
  ${If} $0 != "ok"
    SetErrorLevel 2
    Abort "${APP_NAME} is running: nothing was changed"
  ${EndIf}
  SetOutPath "$INSTDIR"
  ; An upgrade replaces the whole runtime, so modules removed in the new version do not linger.
  RMDir /r "$INSTDIR\_internal"
  File "${DIST_DIR}\${CLI_EXE}"
  File "${DIST_DIR}\${GUI_EXE}"
  File /r "${DIST_DIR}\_internal"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  ; Start menu (all users or this user, following the install mode)
  CreateShortcut "$SMPROGRAMS\${APP_NAME}.lnk" "$INSTDIR\${GUI_EXE}" "" "$INSTDIR\${GUI_EXE}" 0 \
    SW_SHOWNORMAL "" "Schedule, patients and dictation"

  ; SHCTX is HKLM for a per-machine install and HKCU for a per-user one.
  WriteRegStr SHCTX "${SETTINGS_KEY}" "InstallDir" "$INSTDIR"
  WriteRegStr SHCTX "${SETTINGS_KEY}" "InstallMode" "$MultiUser.InstallMode"
  ; the installing account's data folder (SHCTX follows the shell context, so read it, then switch back)
  SetShellVarContext current
  StrCpy $OwnerData "${USER_DATA}"
  ${If} $MultiUser.InstallMode == "AllUsers"
    SetShellVarContext all
  ${EndIf}
  WriteRegStr SHCTX "${SETTINGS_KEY}" "OwnerDataDir" "$OwnerData"
  WriteRegStr SHCTX "${UNINST_KEY}" "DisplayName" "${APP_NAME}"
  WriteRegStr SHCTX "${UNINST_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr SHCTX "${UNINST_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr SHCTX "${UNINST_KEY}" "DisplayIcon" "$INSTDIR\${GUI_EXE},0"
  WriteRegStr SHCTX "${UNINST_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr SHCTX "${UNINST_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe" /$MultiUser.InstallMode'
  WriteRegStr SHCTX "${UNINST_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /$MultiUser.InstallMode /S'
  WriteRegDWORD SHCTX "${UNINST_KEY}" "NoModify" 1
  WriteRegDWORD SHCTX "${UNINST_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  IntFmt $0 "0x%08X" $0
  WriteRegDWORD SHCTX "${UNINST_KEY}" "EstimatedSize" "$0"
SectionEnd

; --- uninstall -----------------------------------------------------------------------------------------
Section "un.${APP_NAME} program files" UnSecProgram
  SectionIn RO
  Call un.CloseClinicDesk
  Pop $0
  ${If} $0 != "ok"
    SetErrorLevel 2
    Abort "${APP_NAME} is running: nothing was removed"
  ${EndIf}
  Delete "$SMPROGRAMS\${APP_NAME}.lnk"
  ; Only what the installer put there: never a recursive delete of $INSTDIR itself.
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\${CLI_EXE}"
  Delete "$INSTDIR\${GUI_EXE}"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  DeleteRegKey SHCTX "${UNINST_KEY}"
  DeleteRegKey SHCTX "${SETTINGS_KEY}"

  ; Derived files only (the assembled Whisper model); profiles are not in the cache.
  Call un.IsOwner
  Pop $0
  ${If} $0 == "yes"
    SetShellVarContext current
    RMDir /r "${USER_CACHE}"
    ${If} $MultiUser.InstallMode == "AllUsers"
      SetShellVarContext all
    ${EndIf}
  ${EndIf}
SectionEnd

; Unticked by default: an uninstall (or an upgrade done as uninstall + install) keeps every profile.
Section /o "un.Delete my encrypted profiles and settings" UnSecProfiles
  Call un.IsOwner
  Pop $0
  ${If} $0 != "yes"
    DetailPrint "Profiles kept: this uninstaller runs as another account than the one that installed ${APP_NAME}"
    Return
  ${EndIf}
  SetShellVarContext current
  RMDir /r "${USER_DATA}"
  ${If} $MultiUser.InstallMode == "AllUsers"
    SetShellVarContext all
  ${EndIf}
SectionEnd

; "yes" when the uninstaller runs as the account that installed ClinicDesk (its data folder is the one
; recorded at install time), else "no". A per-user install without the record (none was released) is
; the running account's own.
Function un.IsOwner
  Push $R0
  Push $R1
  SetShellVarContext current
  StrCpy $R0 "${USER_DATA}"
  ${If} $MultiUser.InstallMode == "AllUsers"
    SetShellVarContext all
  ${EndIf}
  StrCpy $R1 $OwnerData
  ${If} $R1 == ""
  ${AndIf} $MultiUser.InstallMode == "CurrentUser"
    StrCpy $R1 $R0
  ${EndIf}
  ${If} $R1 == $R0  ; case-insensitive, as Windows paths are
    StrCpy $R0 "yes"
  ${Else}
    StrCpy $R0 "no"
  ${EndIf}
  Pop $R1
  Exch $R0
FunctionEnd

Function un.onInit
  SetRegView 64
  !insertmacro MULTIUSER_UNINIT
  ; read before the program section deletes the key
  ReadRegStr $OwnerData SHCTX "${SETTINGS_KEY}" "OwnerDataDir"
  Call un.CloseClinicDesk
  Pop $0
  ${If} $0 != "ok"
    SetErrorLevel 2
    Quit
  ${EndIf}
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/REMOVEPROFILES" $R1
  ${IfNot} ${Errors}
    !insertmacro SelectSection ${UnSecProfiles}
  ${EndIf}
FunctionEnd

Function un.ConfirmProfileRemoval
  ${If} ${SectionIsSelected} ${UnSecProfiles}
    Call un.IsOwner
    Pop $0
    ${If} $0 != "yes"
      MessageBox MB_OK|MB_ICONINFORMATION \
        "This uninstaller runs as another Windows account than the one that installed ${APP_NAME} (an administrator's, for instance), so it deletes no profiles: ${USER_DATA} is kept.$\r$\n$\r$\nTo delete a clinician's profiles, uninstall as the account that installed ${APP_NAME}, or delete that clinician's %LOCALAPPDATA%\${APP_NAME} folder." \
        /SD IDOK
      !insertmacro UnselectSection ${UnSecProfiles}
      Abort
    ${EndIf}
    MessageBox MB_YESNO|MB_ICONEXCLAMATION|MB_DEFBUTTON2 \
      "Delete your encrypted ClinicDesk profiles in ${USER_DATA}?$\r$\n$\r$\nChanges not yet synced to the practice server will be lost. This cannot be undone." \
      /SD IDYES IDYES confirmed
    Abort
    confirmed:
  ${EndIf}
FunctionEnd
