console.error("miguser: not built yet"); process.exit(1);
