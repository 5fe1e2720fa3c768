; Inno Setup script for Gravy Desktop on Windows (see packaging/README.md).
; Build the frozen app first (PyInstaller, packaging/gravy-desktop.spec), then:
;   iscc /DAppVersion=0.2.0 packaging\windows\gravy-desktop.iss
; Output: build\gravy-desktop-<version>-windows-setup.exe

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif

[Setup]
AppId={{7C2B6E2A-6A1F-4E57-9B0D-5D5C3B8B2F41}
AppName=Gravy Desktop
AppVersion={#AppVersion}
AppPublisher=Gravy Desktop maintainers
DefaultDirName={autopf}\Gravy Desktop
DefaultGroupName=Gravy Desktop
DisableProgramGroupPage=yes
PrivilegesRequiredOverridesAllowed=dialog
OutputDir=..\..\build
OutputBaseFilename=gravy-desktop-{#AppVersion}-windows-setup
Compression=lzma2/max
SolidCompression=yes
ArchitecturesInstallIn64BitMode=x64compatible
WizardStyle=modern
; The user's database lives in %LOCALAPPDATA%\GravyDesktop, outside the install folder:
; upgrades replace the program and keep the data (the app migrates it on first start).
UninstallDisplayIcon={app}\gravy-desktop.exe

[Files]
Source: "..\..\build\dist\gravy-desktop\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\Gravy Desktop"; Filename: "{app}\gravy-desktop.exe"
Name: "{autodesktop}\Gravy Desktop"; Filename: "{app}\gravy-desktop.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "Create a desktop shortcut"; Flags: unchecked

[Run]
Filename: "{app}\gravy-desktop.exe"; Description: "Start Gravy Desktop"; Flags: nowait postinstall skipifsilent
