"""Board meetings and their agendas."""
